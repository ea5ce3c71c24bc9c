"""connect-worker-rebalance-metrics: what the DistributedHerder's rebalances report on /metrics."""

from prometheus_client import CollectorRegistry, generate_latest

from dbconnect.runtime.metrics import RebalanceMetrics


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def scrape(metrics: RebalanceMetrics) -> dict[str, float]:
    class Collector:
        def collect(self):
            return metrics.families()

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Collector())
    out = {}
    for line in generate_latest(registry).decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


PREFIX = "kafka_connect_connect_worker_rebalance_metrics_"


def test_before_any_rebalance():
    figures = scrape(RebalanceMetrics("sessioned", clock=Clock()))
    assert figures[PREFIX + "completed_rebalances_total"] == 0
    assert figures[PREFIX + "rebalancing"] == 0
    assert figures[PREFIX + "time_since_last_rebalance_ms"] == -1
    assert figures[PREFIX + "epoch"] == -1


def test_two_rebalances_counted_timed_and_labelled():
    clock = Clock()
    metrics = RebalanceMetrics("sessioned", clock=clock)
    metrics.started()
    clock.now += 3.0
    metrics.started()  # a second JoinGroup inside the same rebalance does not restart its clock
    assert scrape(metrics)[PREFIX + "rebalancing"] == 1
    clock.now += 1.0
    metrics.completed_round(4, "http://10.0.0.1:8083")
    metrics.started()
    clock.now += 2.0
    metrics.completed_round(5, "http://10.0.0.2:8083")
    clock.now += 0.5
    figures = scrape(metrics)
    assert figures[PREFIX + "completed_rebalances_total"] == 2
    assert figures[PREFIX + "rebalancing"] == 0
    assert figures[PREFIX + "rebalance_max_time_ms"] == 4000
    assert figures[PREFIX + "rebalance_avg_time_ms"] == 3000
    assert figures[PREFIX + "time_since_last_rebalance_ms"] == 500
    assert figures[PREFIX + "epoch"] == 5
    assert figures[PREFIX + 'info{connect_protocol="sessioned",leader_name="http://10.0.0.2:8083"}'] == 1


def test_an_assignment_without_a_rebalance_started_here_counts_nothing():
    metrics = RebalanceMetrics("compatible", clock=Clock())
    metrics.completed_round(2, "http://a:8083")
    figures = scrape(metrics)
    assert figures[PREFIX + "completed_rebalances_total"] == 0
    assert figures[PREFIX + "epoch"] == 2
