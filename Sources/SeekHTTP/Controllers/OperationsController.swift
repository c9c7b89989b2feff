import HTTPTypes
import Hummingbird
import NIOCore
import SeekRuntime
import SeekStore

/// `GET /healthz`, `GET /metrics` and `GET /v1/openapi.json`: no key needed.
struct OperationsController {
    let store: any JobStore & WebhookStore
    let metrics: SeekMetrics
    let health: HealthProbe

    func register(in router: Router<SeekRequestContext>) {
        router.get("healthz") { _, _ in
            // A node whose storage does not answer is not ready: a load balancer takes it out until it recovers.
            health.isHealthy
                ? JSONResponse.make(["status": "ok"])
                : JSONResponse.make(status: .serviceUnavailable, ["status": "unavailable", "reason": "The storage does not answer."])
        }
        router.get("metrics") { _, _ in
            let text = try await metrics.render(store: store)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text))
            )
        }
        router.get("v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: OpenAPIDocument.buffer))
        }
    }
}
