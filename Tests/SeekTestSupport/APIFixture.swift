import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SeekCore
import SeekHTTP
import SeekRuntime
import SeekStore
import SeekWorkers

/// A server on a fresh store, with one workspace and its key.
public struct APIFixture: Sendable {
    public let fixture: StoreFixture
    public let server: SeekServer
    public let workspaceID: String
    public let key: String

    /// Webhook hosts resolve through a script: example.com is public, internal.test is private.
    public static let resolver = ScriptedResolver(["example.com": [[.v4(0x5DB8_D822)]], "internal.test": [[.v4(0x5DB8_D822), .v4(0x0A00_0005)]]])

    public init(
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

    /// Runs `test` against the router (or, `.live`, a server on a free port of 127.0.0.1); with `runner`, jobs also
    /// run; with `webhooks`, their webhooks are sent.
    public func test<Value>(
        _ mode: TestingSetup = .router,
        runner: Bool = false,
        webhooks: Bool = false,
        _ test: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        var app = Application(router: server.router())
        if runner { app.addServices(server.runtime.runner) }
        if webhooks { app.addServices(server.runtime.webhookSender) }
        return try await app.test(mode, test)
    }

    public func another(credits: Int = 10) async throws -> (workspaceID: String, key: String) {
        let created = try await fixture.store.createWorkspace(NewWorkspace(name: "other", plan: .pro, startingCredits: credits))
        return (created.workspace.id, created.apiKey)
    }
}
