"""Extensions created unbound here and bound to an app in create_app()."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf import CSRFProtect


def client_address() -> str:
    return request.remote_addr or "unknown"


babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=client_address)
login_manager = LoginManager()
