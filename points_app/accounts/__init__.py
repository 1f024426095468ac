"""Users, roles held at an area, sign-in."""
