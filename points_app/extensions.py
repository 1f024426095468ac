"""Extension instances; bound to the app in create_app."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from points_app.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()

# Models subclass `Model`; to the type checker it is the typed declarative base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
