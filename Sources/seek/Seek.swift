import ArgumentParser
import Foundation
import Logging
import SeekCore
import SeekHTTP
import SeekRunner
import SeekRuntime
import SeekStore
import SeekWorkers
import SeekWorkersEmail
import SeekWorkersImage
import SeekWorkersWeb
import ServiceLifecycle

struct Seek: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seek",
        abstract: "A self-hostable marketplace of workers with an async job API.",
        subcommands: [
            Serve.self, Runner.self, Admin.self, RunCommand.self, WorkersCommand.self, JobsCommand.self, FilesCommand.self, BalanceCommand.self,
            KeysCommand.self, LoginCommand.self,
        ]
    )
}

/// ArgumentParser's own `main` exits 64 on a usage error; the contract's CLI promises 2, so parsing and the
/// exit are ours and everything else (help, ExitCode, other errors) is ArgumentParser's.
@main
enum SeekMain {
    static func main() async {
        do {
            var command = try Seek.parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            guard Seek.exitCode(for: error) == .validationFailure else { Seek.exit(withError: error) }
            Output.error(Seek.fullMessage(for: error))
            Seek.exit(withError: ClientExit.usage)
        }
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the API, the scheduler and the in-process runner.")

    @OptionGroup var storage: StorageOptions
    @Option(help: "Address to listen on (env SEEK_HOST, default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (env SEEK_PORT, default 8080).") var port: Int?
    @Option(help: "Jobs run at once (env SEEK_CONCURRENCY, default 4 × cores).") var concurrency: Int?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical (env SEEK_LOG_LEVEL).")
    var logLevel: String?
    @Option(name: .customLong("shutdown-grace"), help: "Seconds running jobs get to finish on SIGTERM (env SEEK_SHUTDOWN_GRACE, default 30).")
    var shutdownGrace: Int?
    @Option(name: .customLong("credit-usd"), help: "Dollar value of one credit (env SEEK_CREDIT_USD, default 0.0001).")
    var creditUSD: Double?
    @Option(
        name: .customLong("commit-delay-ms"),
        help: "Longest a commit waits for more writes while commits run back to back (env SEEK_COMMIT_DELAY_MS, default 2; 0 disables)."
    )
    var commitDelayMs: Double?
    @OptionGroup(title: "Reaching other hosts") var network: FetchOptions
    @Option(
        name: .customLong("webhook-retry-schedule"),
        help: "Seconds between webhook attempts, comma-separated (env SEEK_WEBHOOK_RETRY_SCHEDULE, default 5,30,300)."
    )
    var webhookRetrySchedule: String?
    @Option(name: .customLong("webhook-concurrency"), help: "Webhook attempts in flight at once (env SEEK_WEBHOOK_CONCURRENCY, default 64).")
    var webhookConcurrency: Int?
    @Option(name: .customLong("public-url"), help: "The server's public base URL, for file URLs (env SEEK_PUBLIC_URL, default http://HOST:PORT).")
    var publicURL: String?
    @Option(
        name: .customLong("job-retention-days"),
        help: "Days a finished job's input and result are kept; the job and its ledger entries stay (env SEEK_JOB_RETENTION_DAYS, default 30)."
    )
    var jobRetentionDays: Double?
    @Option(
        name: .customLong("webhook-attempt-retention-days"),
        help: "Days webhook attempts are logged for (env SEEK_WEBHOOK_ATTEMPT_RETENTION_DAYS, default 30)."
    )
    var webhookAttemptRetentionDays: Double?
    @Option(name: .customLong("file-retention-days"), help: "How long files are kept (env SEEK_FILE_RETENTION_DAYS, default 7).")
    var fileRetentionDays: Double?
    @Option(
        name: .customLong("lease-seconds"),
        help: "How long a job's lease lasts without a heartbeat, in process and for remote runners (env SEEK_LEASE_SECONDS, default 30)."
    )
    var leaseSeconds: Int?
    @Option(
        name: .customLong("runner-max-wait"),
        help: "The longest a remote runner's claim is held when no job waits, in seconds (env SEEK_RUNNER_MAX_WAIT, default 30)."
    )
    var runnerMaxWait: Int?
    @Option(
        name: .customLong("platform-fee"),
        help: "Percent of what a published worker earns that the platform keeps (env SEEK_PLATFORM_FEE, default 20)."
    )
    var platformFee: Int?
    @Option(
        name: .customLong("idle-timeout"),
        help: "Seconds a connection may wait without a request in progress, or for a request's head (env SEEK_IDLE_TIMEOUT, default 60)."
    )
    var idleTimeout: Int?
    @Option(
        name: .customLong("max-waiting-requests"),
        help: "Requests that may wait for their jobs at once with Prefer: wait (env SEEK_MAX_WAITING_REQUESTS, default 1000)."
    )
    var maxWaitingRequests: Int?
    @Option(
        name: .customLong("event-streams-per-key"),
        help: "Event streams one API key may hold open at once on this node (env SEEK_EVENT_STREAMS_PER_KEY, default 250)."
    )
    var eventStreamsPerKey: Int?
    @Option(help: "all, api or runner: what this node does on a shared database (env SEEK_ROLE, default all).") var role: String?
    @Option(name: .customLong("sign-up"), help: "on or off: the dashboard offers sign-up to anyone who can reach it (env SEEK_SIGN_UP, default on).")
    var signUp: String?
    @Option(name: .customLong("rate-limits"), help: "on or off: per-key and per-address rate limits (env SEEK_RATE_LIMITS, default on).")
    var rateLimits: String?
    @Option(
        name: .customLong("image-threads"),
        help: "Image conversions at once, each on its own thread off the async pool (env SEEK_IMAGE_THREADS, default: cores)."
    )
    var imageThreads: Int?
    @Option(
        name: .customLong("node-id"),
        help: "This node's name as a holder of leases (env SEEK_NODE_ID; default: made once and kept in the data directory)."
    )
    var nodeID: String?

    func run() async throws {
        var configuration = SeekConfiguration()
        // Filled in once the data directory is locked; every other setting is read first, so a bad flag fails fast.
        var runtimeConfiguration = RuntimeConfiguration(nodeID: "")
        var commitDelay = SQLiteStore.defaultCommitDelay
        let nodeID = self.nodeID ?? Environment.value("SEEK_NODE_ID")
        configuration.host = host ?? Environment.value("SEEK_HOST") ?? configuration.host
        configuration.port = try port ?? Environment.value("SEEK_PORT").map { try Self.integer($0, "SEEK_PORT") } ?? configuration.port
        runtimeConfiguration.runner.concurrency =
            try concurrency ?? Environment.value("SEEK_CONCURRENCY").map { try Self.integer($0, "SEEK_CONCURRENCY") }
            ?? runtimeConfiguration.runner.concurrency
        if let grace = try shutdownGrace ?? Environment.value("SEEK_SHUTDOWN_GRACE").map({ try Self.integer($0, "SEEK_SHUTDOWN_GRACE") }) {
            runtimeConfiguration.runner.shutdownGrace = .seconds(grace)
        }
        if let usd = creditUSD ?? Environment.value("SEEK_CREDIT_USD").flatMap(Double.init) {
            configuration.creditPrice = CreditPrice(usdPerCredit: usd)
        }
        if let delay = commitDelayMs ?? Environment.value("SEEK_COMMIT_DELAY_MS").flatMap(Double.init) {
            guard (0...100).contains(delay) else { throw ValidationError("The commit delay must be 0 to 100 ms.") }
            commitDelay = delay / 1000
        }
        try network.apply(to: &runtimeConfiguration)
        if let schedule = webhookRetrySchedule ?? Environment.value("SEEK_WEBHOOK_RETRY_SCHEDULE") {
            do {
                runtimeConfiguration.webhooks.retrySchedule = try RetrySchedule(parsing: schedule)
            } catch {
                throw ValidationError(error.message)
            }
        }
        if let slots = try webhookConcurrency
            ?? Environment.value("SEEK_WEBHOOK_CONCURRENCY").map({ try Self.integer($0, "SEEK_WEBHOOK_CONCURRENCY") })
        {
            guard (1...1024).contains(slots) else { throw ValidationError("Webhook concurrency must be 1 to 1024.") }
            runtimeConfiguration.webhooks.concurrency = slots
        }
        if let limits = rateLimits ?? Environment.value("SEEK_RATE_LIMITS") {
            guard let enabled = ["on": true, "off": false][limits.lowercased()] else { throw ValidationError("Rate limits are on or off.") }
            configuration.rateLimitsEnabled = enabled
        }
        if let idle = try idleTimeout ?? Environment.value("SEEK_IDLE_TIMEOUT").map({ try Self.integer($0, "SEEK_IDLE_TIMEOUT") }) {
            guard (1...3600).contains(idle) else { throw ValidationError("--idle-timeout is 1 to 3600 seconds.") }
            configuration.idleTimeout = .seconds(idle)
        }
        if let waiting = try maxWaitingRequests
            ?? Environment.value("SEEK_MAX_WAITING_REQUESTS").map({ try Self.integer($0, "SEEK_MAX_WAITING_REQUESTS") })
        {
            guard (0...1_000_000).contains(waiting) else { throw ValidationError("--max-waiting-requests is 0 to 1000000.") }
            configuration.maxWaitingRequests = waiting
        }
        if let streams = try eventStreamsPerKey
            ?? Environment.value("SEEK_EVENT_STREAMS_PER_KEY").map({ try Self.integer($0, "SEEK_EVENT_STREAMS_PER_KEY") })
        {
            guard (1...100_000).contains(streams) else { throw ValidationError("--event-streams-per-key is 1 to 100000.") }
            configuration.eventStreamsPerKey = streams
        }
        if let signUp = signUp ?? Environment.value("SEEK_SIGN_UP") {
            guard let enabled = ["on": true, "off": false][signUp.lowercased()] else { throw ValidationError("Sign-up is on or off.") }
            configuration.signUpEnabled = enabled
        }
        if let lease = try leaseSeconds ?? Environment.value("SEEK_LEASE_SECONDS").map({ try Self.integer($0, "SEEK_LEASE_SECONDS") }) {
            guard (2...3600).contains(lease) else { throw ValidationError("The lease must be 2 to 3600 seconds.") }
            runtimeConfiguration.leaseSeconds = Double(lease)
        }
        if let wait = try runnerMaxWait ?? Environment.value("SEEK_RUNNER_MAX_WAIT").map({ try Self.integer($0, "SEEK_RUNNER_MAX_WAIT") }) {
            guard (0...30).contains(wait) else { throw ValidationError("The runner wait is 0 to 30 seconds.") }
            runtimeConfiguration.remoteRunners.maxWait = .seconds(wait)
        }
        if let fee = try platformFee ?? Environment.value("SEEK_PLATFORM_FEE").map({ try Self.integer($0, "SEEK_PLATFORM_FEE") }) {
            do {
                runtimeConfiguration.platformFee = try PlatformFee(percent: fee)
            } catch {
                throw ValidationError(error.message)
            }
        }
        if let role = role ?? Environment.value("SEEK_ROLE") {
            guard let parsed = NodeRole(rawValue: role) else { throw ValidationError("--role is all, api or runner, not \(role).") }
            runtimeConfiguration.role = parsed
        }
        let level = try LogLevelOption.resolve(logLevel)
        configuration.logLevel = level
        guard (1...65535).contains(configuration.port) else { throw ValidationError("The port must be 1 to 65535.") }
        guard runtimeConfiguration.runner.concurrency >= 1 else { throw ValidationError("Concurrency must be at least 1.") }

        let logger = LogLevelOption.bootstrap(level)
        if let days = try Self.days(jobRetentionDays, "SEEK_JOB_RETENTION_DAYS", flag: "--job-retention-days") {
            runtimeConfiguration.retention.jobData = days * RetentionPolicy.days
        }
        if let days = try Self.days(webhookAttemptRetentionDays, "SEEK_WEBHOOK_ATTEMPT_RETENTION_DAYS", flag: "--webhook-attempt-retention-days") {
            runtimeConfiguration.retention.webhookAttempts = days * RetentionPolicy.days
        }
        let retentionDays = fileRetentionDays ?? Environment.value("SEEK_FILE_RETENTION_DAYS").flatMap(Double.init) ?? 7
        guard retentionDays > 0, retentionDays <= 3650 else { throw ValidationError("File retention is more than 0 and at most 3650 days.") }
        configuration.publicURL = publicURL ?? Environment.value("SEEK_PUBLIC_URL") ?? "http://\(configuration.host):\(configuration.port)"
        let opened = try await storage.openStore(commitDelay: commitDelay, logger: logger)
        let store = opened.store
        configuration.fileSigner = FileURLSigner(key: try await store.serverSecret(named: "file-urls"))
        configuration.dashboardFormKey = try await store.serverSecret(named: "dashboard-forms")
        // Before anything claims: a second server on the same directory must not share this node's leases.
        let lock = try DataDirectoryLock(directory: storage.resolvedDataDir)
        runtimeConfiguration.nodeID =
            try nodeID.map { id in
                guard NodeIdentity.isValid(id) else { throw ValidationError("--node-id is 1 to 64 letters, digits, _, - or .") }
                return id
            } ?? NodeIdentity.load(directory: storage.resolvedDataDir)
        var images = ImageFormatConverterWorker.Configuration()
        if let threads = try imageThreads ?? Environment.value("SEEK_IMAGE_THREADS").map({ try Self.integer($0, "SEEK_IMAGE_THREADS") }) {
            guard (1...256).contains(threads) else { throw ValidationError("--image-threads is 1 to 256.") }
            images.conversions = threads
        }
        let metrics = SeekMetrics()
        let runtime = NodeRuntime(
            store: store,
            files: try storage.openFiles(retention: retentionDays * 86_400),
            registry: try WorkerRegistry.builtIn(adding: [
                try ImageFormatConverterWorker(configuration: images), EmailValidatorWorker(),
                RealEstateListingsWorker(configuration: network.listings), LinkedInProfileWorker(), PlacesSearchWorker(configuration: network.places),
            ]),
            configuration: runtimeConfiguration,
            metrics: RuntimeMetrics(factory: metrics.factory),
            logger: logger
        )
        let server = SeekServer(store: store, runtime: runtime, metrics: metrics, configuration: configuration)
        let app = buildApplication(configuration, server: server, services: [opened.lifetime, HeldResource(lock)] + runtime.services, logger: logger)
        try await app.runService()
    }

    /// A retention in days from its flag or variable: more than 0, at most ten years.
    static func days(_ flag: Double?, _ variable: String, flag name: String) throws -> Double? {
        guard let days = flag ?? Environment.value(variable).flatMap(Double.init) else { return nil }
        guard days > 0, days <= 3650 else { throw ValidationError("\(name) is more than 0 and at most 3650 days.") }
        return days
    }

    static func integer(_ text: String, _ name: String) throws -> Int {
        guard let value = Int(text) else { throw ValidationError("\(name) must be an integer, not \(text).") }
        return value
    }
}

/// The log level of a command, from its flag or `SEEK_LOG_LEVEL`, and the JSON log handler.
enum LogLevelOption {
    static func resolve(_ flag: String?) throws -> Logger.Level {
        let name = flag ?? Environment.value("SEEK_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: name) else { throw ValidationError("Unknown log level \(name).") }
        return level
    }

    static func bootstrap(_ level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        var logger = Logger(label: "seek")
        logger.logLevel = level
        return logger
    }
}

/// `seek runner --server URL --token srt_… -- COMMAND [ARGS…]`: runs one published worker's jobs on this
/// machine, one process per job, under the command protocol of `docs/workers.md`.
struct Runner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Run a published worker's jobs on this machine: seek runner --server URL --token srt_… -- COMMAND [ARGS…]."
    )

    @Option(help: "The Seek server's base URL (env SEEK_SERVER, default http://127.0.0.1:8080).") var server: String?
    @Option(help: "The worker's runner token, srt_… (env SEEK_RUNNER_TOKEN).") var token: String?
    @Option(help: "Jobs run at once (default 1).") var concurrency: Int = 1
    @Option(name: .customLong("runner-id"), help: "This runner's name in leases (default: host name and process id).") var runnerID: String?
    @Flag(help: "One long-lived worker process takes every job as a JSON line on stdin (docs/workers.md).") var persistent = false
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical (env SEEK_LOG_LEVEL).")
    var logLevel: String?
    @Argument(parsing: .postTerminator, help: "The worker's command and its arguments, after --.") var command: [String] = []

    func run() async throws {
        guard let token = token ?? Environment.value("SEEK_RUNNER_TOKEN"), token.hasPrefix("srt_") else {
            throw ValidationError("A runner token (srt_…) is required: --token or SEEK_RUNNER_TOKEN.")
        }
        let server = server ?? Environment.value("SEEK_SERVER") ?? "http://127.0.0.1:8080"
        guard server.hasPrefix("http://") || server.hasPrefix("https://") else { throw ValidationError("--server must be an http(s) URL.") }
        guard (1...256).contains(concurrency) else { throw ValidationError("Concurrency must be 1 to 256.") }
        let workerCommand: WorkerCommand
        do {
            workerCommand = try WorkerCommand(command)
        } catch {
            throw ValidationError(error.message)
        }
        let host = ProcessInfo.processInfo.hostName.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }.prefix(40)
        let runnerID = runnerID ?? "\(host.isEmpty ? "runner" : String(host))-\(ProcessInfo.processInfo.processIdentifier)"
        guard RunnerIdentity.isValidRunnerID(runnerID) else { throw ValidationError("--runner-id is 1 to 64 letters, digits, _, - or .") }
        let logger = LogLevelOption.bootstrap(try LogLevelOption.resolve(logLevel))
        var configuration = RemoteRunner.Configuration()
        configuration.concurrency = concurrency
        let runner = RemoteRunner(
            client: RunnerAPIClient(server: server, token: token, runnerID: runnerID),
            executor: persistent
                ? PersistentExecutor(command: workerCommand, limits: configuration.limits) as any JobExecutor
                : ProcessPerJobExecutor(command: workerCommand, limits: configuration.limits),
            configuration: configuration,
            logger: logger
        )
        let group = ServiceGroup(services: [runner], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch is RunnerAPIError {
            // Already logged: a revoked or wrong token ends the runner with a failure status.
            throw ExitCode.failure
        }
    }
}

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage workspaces and credits (works while a server runs on the same data).",
        subcommands: [WorkspaceCommand.self, CreditsCommand.self, UserCommand.self]
    )
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Dashboard users.", subcommands: [Create.self, Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make an existing user a member of another workspace, and print it as JSON.")

        @OptionGroup var storage: StorageOptions
        @Option(help: "The user's email address.") var email: String
        @Option(help: "The workspace the user joins (ws_…).") var workspace: String
        @Option(help: "owner or member.") var role: String = "member"

        func run() async throws {
            guard let role = MemberRole(rawValue: role) else { throw ValidationError("--role is owner or member.") }
            do {
                let user = try await storage.openStore().store.addMembership(email: email, workspaceID: workspace, role: role)
                print(
                    JSONValue.object([
                        "user_id": .string(user.id), "email": .string(user.email), "workspace_id": .string(workspace), "role": .string(role.rawValue),
                    ]).serializedString
                )
            } catch let error as SeekError {
                throw ValidationError(error.message)
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a dashboard user in a workspace and print it as JSON.",
            discussion: """
                The password is read from standard input (one line) or SEEK_USER_PASSWORD; without either, one is made \
                and printed once. Without --workspace, the user gets a new Free workspace of its own.
                """
        )

        @OptionGroup var storage: StorageOptions
        @Option(help: "The user's email address (how they sign in).") var email: String
        @Option(help: "The workspace the user joins (ws_…); without it, a new Free workspace.") var workspace: String?
        @Option(help: "owner or member, in --workspace.") var role: String = "owner"
        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.") var passwordStdin = false

        func run() async throws {
            guard let role = MemberRole(rawValue: role) else { throw ValidationError("--role is owner or member.") }
            var made: String?
            let password: String
            if passwordStdin {
                password = readLine(strippingNewline: true) ?? ""
            } else if let given = Environment.value("SEEK_USER_PASSWORD") {
                password = given
            } else {
                password = Secrets.makeSessionToken().prefix(20).description
                made = password
            }
            let store = try await storage.openStore().store
            do {
                let email = try AccountRules.normalizedEmail(email)
                let hash = try await Passwords.hash(password)
                let user: DashboardUser
                let workspaceID: String
                if let workspace {
                    user = try await store.createUser(email: email, passwordHash: hash, joining: workspace, role: role)
                    workspaceID = workspace
                } else {
                    let created = try await store.createUser(email: email, passwordHash: hash, workspace: NewWorkspace(name: email, plan: .free))
                    user = created.user
                    workspaceID = created.created.workspace.id
                }
                var printed: OrderedDictionaryOfJSON = [
                    "user_id": .string(user.id), "email": .string(user.email), "workspace_id": .string(workspaceID),
                ]
                if let made { printed["password"] = .string(made) }
                print(JSONValue.object(printed).serializedString)
            } catch let error as SeekError {
                throw ValidationError(error.message)
            }
        }
    }
}

struct WorkspaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "workspace", abstract: "Workspaces.", subcommands: [Create.self, Update.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a workspace and print its first API key as JSON.")

        @OptionGroup var storage: StorageOptions
        @Option(help: "The workspace's name.") var name: String
        @Option(help: "free, pro or enterprise.") var plan: String = "free"
        @Option(help: "Starting credits, in place of the plan's first grant.") var credits: Int?

        func run() async throws {
            guard let plan = Plan.named(plan) else { throw ValidationError("Unknown plan \(plan); use free, pro or enterprise.") }
            if let credits, credits < 0 { throw ValidationError("--credits cannot be negative.") }
            let created = try await storage.openStore().store.createWorkspace(NewWorkspace(name: name, plan: plan, startingCredits: credits))
            print(JSONValue.object(["workspace_id": .string(created.workspace.id), "api_key": .string(created.apiKey)]).serializedString)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a workspace to another plan, or set its own rate limit or credit line (enterprise), and print it as JSON."
        )

        @OptionGroup var storage: StorageOptions
        @Option(help: "The workspace id (ws_…).") var id: String
        @Option(help: "free, pro or enterprise.") var plan: String?
        @Option(help: "Requests per second per API key (enterprise; with --burst).") var rate: Int?
        @Option(help: "Burst size per API key (enterprise; with --rate).") var burst: Int?
        @Option(name: .customLong("credit-line"), help: "How far below zero available credits may go (enterprise; 0 removes it).")
        var creditLine: Int?
        @Option(help: "Jobs of the workspace running at once (enterprise; Free has 2, Pro 25).") var concurrency: Int?
        @Option(name: .customLong("max-keys"), help: "Live API keys the workspace may hold (enterprise; Free has 5, Pro 50).") var maxKeys: Int?

        func run() async throws {
            var change = WorkspaceChange(creditLine: creditLine, concurrency: concurrency, maxKeys: maxKeys)
            if let plan {
                guard let named = Plan.named(plan) else { throw ValidationError("Unknown plan \(plan); use free, pro or enterprise.") }
                change.plan = named
            }
            switch (rate, burst) {
            case let (rate?, burst?): change.rateLimit = RateLimit(perSecond: rate, burst: burst)
            case (nil, nil): break
            default: throw ValidationError("--rate and --burst go together.")
            }
            guard change.plan != nil || change.rateLimit != nil || change.creditLine != nil || change.concurrency != nil || change.maxKeys != nil
            else {
                throw ValidationError("Nothing to change: give --plan, --rate and --burst, --credit-line, --concurrency or --max-keys.")
            }
            let workspace: Workspace
            do {
                workspace = try await storage.openStore().store.updateWorkspace(id: id, change)
            } catch let error as SeekError {
                throw ValidationError(error.message)
            }
            print(
                JSONValue.object([
                    "workspace_id": .string(workspace.id), "plan": .string(workspace.plan.name),
                    "rate_limit_per_second": .integer(Int64(workspace.rateLimit.perSecond)), "burst": .integer(Int64(workspace.rateLimit.burst)),
                    "credit_line": .integer(Int64(workspace.creditLine)), "concurrency": .integer(Int64(workspace.concurrency)),
                    "max_keys": .integer(Int64(workspace.maxKeys)),
                ]).serializedString
            )
        }
    }
}

struct CreditsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "credits", abstract: "Credits.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Top up a workspace's credits.")

        @OptionGroup var storage: StorageOptions
        @Option(help: "The workspace id (ws_…).") var workspace: String
        @Option(help: "Credits to add (a positive integer).") var credits: Int

        func run() async throws {
            guard credits > 0 else { throw ValidationError("--credits must be a positive integer.") }
            let balance = try await storage.openStore().store.addCredits(workspaceID: workspace, type: .topup, amount: credits)
            print(
                JSONValue.object([
                    "workspace_id": .string(workspace), "balance": .integer(Int64(balance.balance)),
                    "reserved": .integer(Int64(balance.reserved)), "available": .integer(Int64(balance.available)),
                ])
                .serializedString
            )
        }
    }
}
