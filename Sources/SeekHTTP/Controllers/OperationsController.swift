import HTTPTypes
import Hummingbird
import NIOCore
import SeekStore

/// `GET /healthz`, `GET /metrics` and `GET /v1/openapi.json`: no key needed.
struct OperationsController {
    let store: any JobStore & WebhookStore
    let metrics: SeekMetrics

    func register(in router: Router<SeekRequestContext>) {
        router.get("healthz") { _, _ in JSONResponse.make(["status": "ok"]) }
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
