import CoreMetrics
import SeekCore

/// The runtime's metrics, through swift-metrics: whoever assembles a node chooses the backend (the
/// server passes its Prometheus registry's factory), and the runtime never knows which.
public struct RuntimeMetrics: Sendable {
    let factory: any MetricsFactory
    private let jobsByStatus: HandleCache<JobStatus, Counter>
    private let runDurations: HandleCache<String, Recorder>

    public init(factory: any MetricsFactory) {
        self.factory = factory
        jobsByStatus = HandleCache { Counter(label: "seek_jobs_total", dimensions: [("status", $0.rawValue)], factory: factory) }
        runDurations = HandleCache {
            Recorder(label: "seek_job_run_duration_seconds", dimensions: [("worker", $0)], aggregate: true, factory: factory)
        }
    }

    /// Counts nothing: for tests and tools that need no metrics.
    public static let none = RuntimeMetrics(factory: NOOPMetricsHandler.instance)

    /// A job entered `status` (queued on submit, then its terminal status).
    func jobEntered(_ status: JobStatus) {
        jobsByStatus[status].increment()
    }

    /// How long a worker ran one job.
    func jobRan(workerID: String, seconds: Double) {
        runDurations[workerID].record(seconds)
    }

    /// The webhook sender's sink: attempts by result, what followed them, attempt durations, and the lag
    /// from a job's end to its webhook's first attempt.
    public var webhookObserver: WebhookObserver {
        WebhookObserver { report in
            let result =
                switch report.result {
                case let .answered(code): "\(code / 100)xx"
                case .notAnswered: "error"
                }
            Counter(label: "seek_webhook_attempts_total", dimensions: [("result", result)], factory: factory).increment()
            let outcome =
                switch report.next {
                case .delivered: "delivered"
                case .retry: "retry"
                case .failed: "failed"
                }
            Counter(label: "seek_webhook_attempt_outcomes_total", dimensions: [("outcome", outcome)], factory: factory).increment()
            Recorder(label: "seek_webhook_attempt_duration_seconds", aggregate: true, factory: factory).record(report.durationSeconds)
            if let lag = report.firstAttemptLagSeconds {
                Recorder(label: "seek_webhook_first_attempt_lag_seconds", aggregate: true, factory: factory).record(lag)
            }
        }
    }

    /// Histogram buckets for the runtime's recorders, for backends that need them up front (Prometheus).
    public static let valueBuckets: [String: [Double]] = [
        "seek_job_run_duration_seconds": [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
        "seek_webhook_attempt_duration_seconds": webhookBuckets,
        "seek_webhook_first_attempt_lag_seconds": webhookBuckets,
    ]
    private static let webhookBuckets: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
}
