import Foundation
import Hummingbird
import SeekCore
import SeekTestSupport
import Testing

@testable import SeekHTTP

@Suite("The OpenAPI document")
struct OpenAPIRouteTests {
    /// `GET /v1/jobs/{job_uuid}` for every operation of the document.
    static func documentedOperations() throws -> Set<String> {
        let document = try JSONParser.parse(PackageResources.openapi_json)
        var operations = Set<String>()
        for (path, item) in document["paths"]?.objectValue ?? [:] {
            for method in item.objectValue?.keys ?? [] where ["get", "post", "put", "patch", "delete"].contains(method) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    /// The same for every API route the router serves, its `:name` parameters written as `{name}`. The
    /// dashboard's HTML pages are not part of the API, and its document does not list them.
    static func routedOperations() async throws -> Set<String> {
        let api = try await APIFixture()
        return Set(
            api.server.router().routes.filter { $0.path.description.split(separator: "/").first != "dashboard" }.map { route in
                let path =
                    "/"
                    + route.path.description.split(separator: "/").map { segment in
                        segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
                    }.joined(separator: "/")
                return "\(route.method.rawValue) \(path)"
            }
        )
    }

    @Test("every route is documented, and every documented operation is routed")
    func routesMatchDocument() async throws {
        let documented = try Self.documentedOperations()
        let routed = try await Self.routedOperations()
        #expect(routed.count > 10, "the router lists its routes")
        #expect(routed.subtracting(documented).sorted() == [], "routes missing from openapi.json")
        #expect(documented.subtracting(routed).sorted() == [], "operations in openapi.json that no route serves")
    }
}
