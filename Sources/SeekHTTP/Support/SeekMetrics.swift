import HTTPTypes
import Prometheus
import SeekCore
import SeekRuntime
import SeekStore

/// The Prometheus registry behind `/metrics`. One per application, so tests never share counters.
public final class SeekMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let queueDepth: Gauge
    private let jobsRunning: Gauge
    private let webhooksPending: Gauge
    private let requestCounts: HandleCache<RequestKey, Counter>
    private let requestDurations: HandleCache<String, DurationHistogram>
    private static let requestBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(5), .seconds(30), .seconds(60),
    ]

    /// The swift-metrics factory over this registry, for the runtime's metrics.
    public var factory: PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets = RuntimeMetrics.valueBuckets
        return factory
    }

    public init() {
        requestCounts = HandleCache { [registry] key in
            registry.makeCounter(
                name: "seek_http_requests_total",
                labels: [("method", key.method), ("route", key.route), ("status", String(key.status))],
                help: "HTTP requests by route and status."
            )
        }
        requestDurations = HandleCache { [registry] route in
            registry.makeDurationHistogram(
                name: "seek_http_request_duration_seconds",
                labels: [("route", route)],
                buckets: Self.requestBuckets,
                help: "HTTP request latency by route."
            )
        }
        queueDepth = registry.makeGauge(name: "seek_queue_depth", help: "Jobs waiting in the queue.")
        jobsRunning = registry.makeGauge(name: "seek_jobs_running", help: "Jobs being run.")
        webhooksPending = registry.makeGauge(
            name: "seek_webhook_deliveries_pending",
            help: "Webhook deliveries not yet delivered or failed (waiting, in flight or between retries)."
        )
    }

    private struct RequestKey: Hashable, Sendable {
        let method: String
        let route: String
        let status: Int
    }

    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        requestCounts[RequestKey(method: method, route: route, status: status)].increment()
        requestDurations[route].recordNanoseconds(duration.nanoseconds)
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
