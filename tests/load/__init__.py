"""`make loadtest`: the app under gunicorn, driven by locust (see tests/load/__main__.py).

pytest collects only test_report.py here (how the results are read); no module it imports
touches locust or gevent: locustfile.py is loaded by locust alone, in its own process.
"""
