import HTTPTypes
import Prometheus
import SeekRuntime
import SeekStore

/// The Prometheus registry behind `/metrics`. One per application, so tests never share counters.
public final class SeekMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let queueDepth: Gauge
    private let jobsRunning: Gauge
    private let webhooksPending: Gauge
    private static let requestBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(5), .seconds(30), .seconds(60),
    ]
    private static let runBuckets: [Double] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300]

    public init() {
        queueDepth = registry.makeGauge(name: "seek_queue_depth", help: "Jobs waiting in the queue.")
        jobsRunning = registry.makeGauge(name: "seek_jobs_running", help: "Jobs being run.")
        webhooksPending = registry.makeGauge(
            name: "seek_webhook_deliveries_pending",
            help: "Webhook deliveries not yet delivered or failed (waiting, in flight or between retries)."
        )
    }

    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            name: "seek_http_requests_total",
            labels: [("method", method), ("route", route), ("status", String(status))],
            help: "HTTP requests by route and status."
        ).increment()
        registry.makeDurationHistogram(
            name: "seek_http_request_duration_seconds",
            labels: [("route", route)],
            buckets: Self.requestBuckets,
            help: "HTTP request latency by route."
        ).recordNanoseconds(
            Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        )
    }

    /// A job entered `status` (queued on submit, then its terminal status).
    func recordJob(status: String) {
        registry.makeCounter(name: "seek_jobs_total", labels: [("status", status)], help: "Jobs that reached each status.").increment()
    }

    /// The runner's sink: terminal statuses and run durations.
    var runnerObserver: RunnerObserver {
        RunnerObserver { [self] worker, status, seconds in
            recordJob(status: status)
            registry.makeValueHistogram(
                name: "seek_job_run_duration_seconds",
                labels: [("worker", worker)],
                buckets: Self.runBuckets,
                help: "How long workers ran, by worker."
            ).record(seconds)
        }
    }

    private static let webhookBuckets: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// The webhook sender's sink: attempts by result, deliveries settled, attempt durations, and the
    /// lag from a job's end to its webhook's first attempt.
    var webhookObserver: WebhookObserver {
        WebhookObserver { [self] report in
            let result =
                switch report.result {
                case let .answered(code): "\(code / 100)xx"
                case .notAnswered: "error"
                }
            registry.makeCounter(
                name: "seek_webhook_attempts_total",
                labels: [("result", result)],
                help: "Webhook delivery attempts by result (2xx, 4xx, 5xx, error: refused, timeout or no connection)."
            )
            .increment()
            let outcome =
                switch report.next {
                case .delivered: "delivered"
                case .retry: "retry"
                case .failed: "failed"
                }
            registry.makeCounter(
                name: "seek_webhook_attempt_outcomes_total",
                labels: [("outcome", outcome)],
                help: "What followed each attempt: delivered, a retry scheduled, or failed for good."
            ).increment()
            registry.makeValueHistogram(
                name: "seek_webhook_attempt_duration_seconds",
                buckets: Self.webhookBuckets,
                help: "How long webhook attempts took."
            ).record(report.durationSeconds)
            if let lag = report.firstAttemptLagSeconds {
                registry.makeValueHistogram(
                    name: "seek_webhook_first_attempt_lag_seconds",
                    buckets: Self.webhookBuckets,
                    help: "From a job's terminal state to its webhook's first attempt."
                ).record(lag)
            }
        }
    }

    /// Prometheus text, with the queue gauges read from the store at scrape time.
    func render(store: any JobStore & WebhookStore) async throws -> String {
        let counts = try await store.queueCounts()
        queueDepth.set(Double(counts.queued))
        jobsRunning.set(Double(counts.running))
        webhooksPending.set(Double(try await store.pendingWebhookCount()))
        return registry.emitToString()
    }
}
