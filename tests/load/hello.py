"""The ceiling: a bare Flask app that answers "hello" to every path and method.

`make loadtest` serves it with the same gunicorn settings as the real app and drives it with
the same clients, so each endpoint's figures can be read against what the stack itself costs.
"""

from flask import Flask

app = Flask(__name__)


@app.route("/", defaults={"path": ""}, methods=["GET", "POST", "PUT"])
@app.route("/<path:path>", methods=["GET", "POST", "PUT"])
def hello(path: str) -> str:
    return "hello"
