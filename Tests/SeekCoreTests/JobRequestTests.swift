import Testing

@testable import SeekCore

@Suite("Job submissions: control keys, plans and the state machine")
struct JobRequestTests {
    static let manifest = WorkerManifest(
        id: "echo",
        name: "Echo",
        description: "",
        version: "1",
        inputSchema: ["type": "object"],
        outputKind: .object,
        pricing: .perRun(1),
        maxDurationSeconds: 10
    )

    @Test("control keys are split from the input")
    func split() throws {
        let request = try JobRequest(body: [
            "q": "coffee", "webhook": "https://example.com/h", "priority": "high", "timeout_s": 5,
            "max_credits": 3,
        ])
        #expect(request.input == ["q": "coffee"])
        #expect(request.webhook == "https://example.com/h")
        #expect(request.priority == .high)
        #expect(request.timeoutSeconds == 5)
        #expect(request.maxCredits == 3)
        #expect(try JobRequest(body: [:]).priority == .normal)
    }

    @Test(
        "bad control values are 400s that name the key",
        arguments: [
            ("priority", JSONValue.string("urgent")), ("priority", 1), ("timeout_s", 0), ("timeout_s", "5"), ("timeout_s", 1.5),
            ("max_credits", -1), ("webhook", "ftp://x.com"), ("webhook", "not a url"), ("webhook", 3), ("webhook", "https://"),
        ]
    )
    func badValues(_ key: String, _ value: JSONValue) {
        do {
            _ = try JobRequest(body: .object([key: value]))
            Issue.record("\(key)=\(value) was accepted")
        } catch {
            #expect(error.code == .badRequest)
            #expect(error.message.contains(key))
        }
    }

    @Test("a body that is not an object is a 400", arguments: [JSONValue.array([]), "text", 1, .null])
    func notObject(_ body: JSONValue) {
        #expect(throws: SeekError.self) { try JobRequest(body: body) }
    }

    @Test("timeout_s may not exceed the worker's max_duration_s")
    func deadline() throws {
        #expect(try JobPlan(request: try JobRequest(body: [:]), manifest: Self.manifest).deadlineSeconds == 10)
        #expect(try JobPlan(request: try JobRequest(body: ["timeout_s": 3]), manifest: Self.manifest).deadlineSeconds == 3)
        #expect(throws: SeekError.self) { try JobPlan(request: try JobRequest(body: ["timeout_s": 11]), manifest: Self.manifest) }
    }

    @Test("the lifecycle allows only the contract's moves")
    func lifecycle() {
        #expect(JobStatus.queued.canMove(to: .running))
        #expect(JobStatus.queued.canMove(to: .cancelled))
        #expect(!JobStatus.running.canMove(to: .cancelled))
        #expect(!JobStatus.completed.canMove(to: .failed))
        #expect(JobStatus.allCases.filter(\.isTerminal) == [.completed, .failed, .timeout, .cancelled])
        #expect(JobStatus.allCases.map(\.legacyName) == ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED"])
    }

    @Test("idempotency fingerprints depend on worker and exact body")
    func fingerprints() throws {
        let a = Idempotency.fingerprint(workerID: "echo", body: Array(#"{"a":1}"#.utf8))
        #expect(a == Idempotency.fingerprint(workerID: "echo", body: Array(#"{"a":1}"#.utf8)))
        #expect(a != Idempotency.fingerprint(workerID: "echo", body: Array(#"{"a":2}"#.utf8)))
        #expect(a != Idempotency.fingerprint(workerID: "sleep", body: Array(#"{"a":1}"#.utf8)))
        #expect(throws: SeekError.self) { try Idempotency.validate("") }
        #expect(throws: SeekError.self) { try Idempotency.validate("has space") }
        try Idempotency.validate("order-42")
    }
}

@Suite("Schema errors name the failing path")
struct SchemaDetailTests {
    @Test("422 details carry JSON pointers into the input")
    func paths() throws {
        let schema = try JSONSchema([
            "type": "object",
            "$defs": ["url": ["type": "string", "format": "uri"]],
            "properties": [
                "profile_url": ["$ref": "#/$defs/url"], "limit": ["type": "integer"], "tags": ["type": "array", "items": ["type": "string"]],
            ],
            "required": ["profile_url", "limit"],
            "additionalProperties": false,
        ])
        let details = schema.validate(["profile_url": "not a uri", "tags": ["ok", 3], "extra": true])
        #expect(Set(details.map(\.path)) == ["/profile_url", "/tags/1", "/extra", "/limit"])
        #expect(details.first { $0.path == "/limit" }?.message == "is required")
        #expect(schema.validate(["profile_url": "https://linkedin.com/in/x", "limit": 1]).isEmpty)
    }

    @Test("a schema with a dangling $ref or a bad pattern does not compile")
    func badSchemas() {
        #expect(throws: SeekError.self) { try JSONSchema(["$ref": "#/$defs/missing"]) }
        #expect(throws: SeekError.self) { try JSONSchema(["pattern": "("]) }
        #expect(throws: SeekError.self) { try JSONSchema(3) }
    }

    @Test("a $ref cycle that never consumes input ends with an error, not a crash")
    func refCycle() throws {
        let schema = try JSONSchema(["$defs": ["a": ["$ref": "#/$defs/b"], "b": ["$ref": "#/$defs/a"]], "$ref": "#/$defs/a"])
        #expect(!schema.isValid(1))
    }
}

@Suite("Fair share between workspaces")
struct FairShareTests {
    typealias Candidate = FairShare.Candidate

    @Test func slotsGoRoundRobinFromAfterTheLastServedWithinEachConcurrency() {
        let busy = Candidate(workspaceID: "ws_a", running: 0, concurrency: 25)
        let quiet = Candidate(workspaceID: "ws_b", running: 0, concurrency: 25)
        let free = Candidate(workspaceID: "ws_c", running: 1, concurrency: 2)
        let (shares, last) = FairShare.shares([quiet, free, busy], limit: 6, after: nil)
        #expect(shares.map(\.workspaceID) == ["ws_a", "ws_b", "ws_c"] && shares.map(\.jobs) == [3, 2, 1])
        #expect(last == "ws_a", "the sixth slot went to ws_a, in the third round")
        // One slot at a time: each claim serves the next workspace.
        var cursor: String?
        var order: [String] = []
        for _ in 0..<4 {
            let (one, next) = FairShare.shares([busy, quiet], limit: 1, after: cursor)
            order += one.map(\.workspaceID)
            cursor = next
        }
        #expect(order == ["ws_a", "ws_b", "ws_a", "ws_b"])
    }

    @Test func aWorkspaceAtItsConcurrencyGetsNothingAndNothingIsInvented() {
        let full = Candidate(workspaceID: "ws_free", running: 2, concurrency: 2)
        let few = Candidate(workspaceID: "ws_few", running: 0, concurrency: 25, queued: 1)
        let (shares, last) = FairShare.shares([full, few], limit: 10, after: "ws_zzz")
        #expect(shares.map(\.workspaceID) == ["ws_few"] && shares.map(\.jobs) == [1])
        #expect(last == "ws_few")
        #expect(FairShare.shares([full], limit: 10, after: "ws_x").shares.isEmpty)
        #expect(FairShare.shares([full], limit: 10, after: "ws_x").cursor == "ws_x", "the cursor stays where it was")
    }
}
