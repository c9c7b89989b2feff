import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SeekCore
import SeekHTTP
import SeekRuntime
import SeekStore
import SeekTestSupport
import SeekWorkers

/// A server on a fresh store, with one workspace and its key.
struct APIFixture {
    let fixture: StoreFixture
    let server: SeekServer
    let workspaceID: String
    let key: String

    /// Webhook hosts resolve through a script: example.com is public, internal.test is private.
    static let resolver = ScriptedResolver(["example.com": [[.v4(0x5DB8_D822)]], "internal.test": [[.v4(0x5DB8_D822), .v4(0x0A00_0005)]]])

    init(
        credits: Int? = 100,
        plan: Plan = .pro,
        configure: (inout SeekConfiguration) -> Void = { _ in },
        runtime configureRuntime: (inout RuntimeConfiguration) -> Void = { _ in }
    ) async throws {
        fixture = try await StoreFixture()
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        var configuration = SeekConfiguration()
        configure(&configuration)
        var runtimeConfiguration = RuntimeConfiguration(nodeID: "node-test")
        runtimeConfiguration.hostResolver = Self.resolver
        configureRuntime(&runtimeConfiguration)
        let metrics = SeekMetrics()
        let runtime = NodeRuntime(
            store: fixture.store,
            files: try LocalFileStore(directory: fixture.directory + "/files"),
            registry: try .builtIn(),
            configuration: runtimeConfiguration,
            metrics: RuntimeMetrics(factory: metrics.factory),
            logger: logger
        )
        server = SeekServer(store: fixture.store, runtime: runtime, metrics: metrics, configuration: configuration)
        let created = try await fixture.store.createWorkspace(NewWorkspace(name: "acme", plan: plan, startingCredits: credits))
        workspaceID = created.workspace.id
        key = created.apiKey
    }

    /// Runs `test` against the router; with `runner`, jobs also run.
    func test<Value>(runner: Bool = false, _ test: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        var app = Application(router: server.router())
        if runner { app.addServices(server.runtime.runner) }
        return try await app.test(.router, test)
    }

    func another(credits: Int = 10) async throws -> (workspaceID: String, key: String) {
        let created = try await fixture.store.createWorkspace(NewWorkspace(name: "other", plan: .pro, startingCredits: credits))
        return (created.workspace.id, created.apiKey)
    }
}

extension TestClientProtocol {
    /// Sends a request with the key and returns status, headers and the JSON body.
    func call(
        _ method: HTTPRequest.Method,
        _ uri: String,
        key: String?,
        body: String? = nil,
        headers extra: HTTPFields = [:]
    )
        async throws -> (status: Int, headers: HTTPFields, json: JSONValue)
    {
        var headers = extra
        if let key { headers[HTTPField.Name("X-Api-Key")!] = key }
        if body != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            let bytes = response.body.readableBytesView
            let json = bytes.isEmpty ? JSONValue.null : ((try? JSONParser.parse(Array(bytes))) ?? .string(String(buffer: response.body)))
            return (Int(response.status.code), response.headers, json)
        }
    }
}

extension JSONValue {
    /// Checks the contract's error shape and returns the error code.
    var errorCode: String? {
        guard self["error"]?.stringValue != nil, self["message"]?.stringValue != nil, self["status"]?.integerValue != nil,
            self["request_id"]?.stringValue != nil
        else { return nil }
        return self["error"]?.stringValue
    }
}
