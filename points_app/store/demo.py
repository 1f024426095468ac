"""Demo data for the love supermarket: a store per demo community, products, stock."""

from __future__ import annotations

from sqlalchemy import select

from points_app.accounts.models import User
from points_app.areas.models import Area, AreaLevel
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import AccountKind, TransferKind
from points_app.people.models import Household, Organisation
from points_app.store import services
from points_app.store.models import ProductCategory, StockMoveKind, Store

DEMO_PRODUCTS: list[tuple[str, ProductCategory, str, int, int]] = [
    ("大米 5kg", ProductCategory.grain_oil, "袋", 60, 20),
    ("食用油 1.8L", ProductCategory.grain_oil, "桶", 50, 12),
    ("挂面", ProductCategory.food, "包", 10, 40),
    ("鸡蛋 10枚", ProductCategory.food, "盒", 15, 25),
    ("酱油", ProductCategory.food, "瓶", 12, 18),
    ("牙膏", ProductCategory.daily, "支", 10, 30),
    ("毛巾", ProductCategory.daily, "条", 12, 2),
    ("卷纸 10卷", ProductCategory.daily, "提", 25, 15),
    ("洗衣液 2kg", ProductCategory.cleaning, "瓶", 30, 10),
    ("洗洁精", ProductCategory.cleaning, "瓶", 12, 0),
    ("作业本 5本", ProductCategory.stationery, "套", 8, 50),
]
DEMO_OPENING_POINTS = 200


def load_store_demo() -> None:
    """Open a store in each demo community, stock it, and give each household some points."""
    clerk = db.session.scalars(select(User).where(User.username == "clerk")).first()
    admin = db.session.scalars(select(User).where(User.username == "admin")).first()
    actor = admin or clerk
    communities = db.session.scalars(
        select(Area).where(Area.level == AreaLevel.community, Area.code.startswith("XS-"))
    ).all()
    for community in communities:
        if db.session.scalar(select(Store.id).where(Store.community_id == community.id)):
            continue
        store = services.create_store(
            community=community,
            name=f"{community.name}储爱超市",
            opening_hours="周二、周五 9:00–11:30",
            address=f"{community.name}党群服务中心一楼",
            monthly_points_limit=300,
            monthly_visits_limit=4,
            monthly_product_limit=5,
            actor=actor,
        )
        donor = db.session.scalars(
            select(Organisation).where(Organisation.area_id == community.id)
        ).first()
        for name, category, unit, price, stock in DEMO_PRODUCTS:
            product = services.create_product(
                store, name=name, category=category, unit=unit, points_price=price, actor=actor
            )
            if stock:
                kind = StockMoveKind.donation if donor else StockMoveKind.purchase
                services.receive_stock(product, quantity=stock, kind=kind, donor=donor, actor=actor)
        issuance = ledger.system_account(community, AccountKind.issuance)
        for household in db.session.scalars(
            select(Household).where(Household.community_id == community.id)
        ):
            account = ledger.account_for_household(household)
            db.session.flush()
            if ledger.balance_of(account) == 0:
                ledger.transfer(
                    debit=issuance,
                    credit=account,
                    amount=DEMO_OPENING_POINTS,
                    kind=TransferKind.issue,
                    actor=actor,
                    memo="演示：期初积分",
                )
    db.session.flush()
