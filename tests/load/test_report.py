"""`make loadtest` reads locust's CSV back right: errors, ratios to hello, the verdict."""

from tests.load.report import ABANDONED, Checks, read_phase, table

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
)


def _stats(path, rows):
    lines = [
        f"GET,{name},{count},{failures},{p50},0,0,0,0,{rps},0,{p50},0,0,0,0,{p95},0,{p99},0,0,0"
        for name, count, failures, rps, p50, p95, p99 in rows
    ]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")


def test_errors_leave_out_abandoned_requests_and_count_exceptions(tmp_path):
    _stats(
        tmp_path / "mix_stats.csv",
        [
            ("overview", 100, 2, 5.0, 40, 90, 120),
            (ABANDONED, 30, 30, 1.0, 200, 290, 300),
            ("Aggregated", 130, 32, 6.0, 50, 200, 290),
        ],
    )
    (tmp_path / "mix_failures.csv").write_text(
        "Method,Name,Error,Occurrences\nGET,overview,ReadTimeout(... Read timed out.),2\n"
    )
    (tmp_path / "mix_exceptions.csv").write_text("Count,Message,Traceback,Nodes\n1,boom,tb,n\n")
    phase = read_phase(tmp_path / "mix", "mix", 20)
    assert phase.errors() == 3, "2 failures + 1 exception; abandoned requests are not errors"
    assert phase.rows["overview"].p95 == 90
    assert phase.total is not None and phase.total.requests == 130


def test_table_gives_each_endpoint_as_a_ratio_to_hello(tmp_path):
    _stats(
        tmp_path / "hello_stats.csv",
        [("overview", 100, 0, 10.0, 4, 8, 9), ("Aggregated", 100, 0, 10.0, 4, 8, 9)],
    )
    _stats(
        tmp_path / "app_stats.csv",
        [("overview", 50, 0, 5.0, 40, 90, 120), ("Aggregated", 50, 0, 5.0, 40, 90, 120)],
    )
    hello = read_phase(tmp_path / "hello", "hello", 20)
    app = read_phase(tmp_path / "app", "app", 20)
    text = "\n".join(table(app, hello))
    assert "| overview | 50 | 5.0 | 40 | 90 | 120 | 0 | 10.0x |" in text
    assert "50% of hello's req/s" in text
    assert "of hello's req/s" not in "\n".join(table(app, hello, same_clients=False))


def test_one_failed_check_fails_the_run_information_does_not():
    checks = Checks()
    checks.add("ballots", "30", "= 30", True)
    checks.add("log-in p95", "900 ms", "(information)", None)
    assert checks.passed()
    checks.add("ballot p95", "700 ms", "< 500 ms", False)
    assert not checks.passed()
    assert "| ballot p95 | 700 ms | < 500 ms | FAIL |" in checks.lines()
