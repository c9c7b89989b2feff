import Testing

@testable import SeekCore

@Suite("Credits, pricing and the ledger's rules")
struct BillingTests {
    @Test("a per-run worker reserves its price; a per-event worker its cap, which the input may lower")
    func estimates() {
        #expect(Pricing.perRun(5).estimate(input: [:], deadlineSeconds: 60) == 5)
        let perEvent = Pricing.perEvent(2, maxEvents: 100, eventCapInput: "max_items")
        #expect(perEvent.estimate(input: [:], deadlineSeconds: 60) == 200)
        #expect(perEvent.estimate(input: ["max_items": 10], deadlineSeconds: 60) == 20)
        #expect(perEvent.estimate(input: ["max_items": 1000], deadlineSeconds: 60) == 200)
        // A list caps by its length: one event per element (the email validator's addresses).
        let perAddress = Pricing.perEvent(1, maxEvents: 1000, eventCapInput: "emails")
        #expect(perAddress.estimate(input: ["emails": ["a@b.co", "c@d.co"]], deadlineSeconds: 60) == 2)
        #expect(perAddress.estimate(input: ["emails": .array(Array(repeating: "a@b.co", count: 1500))], deadlineSeconds: 60) == 1000)
        #expect(Pricing.perRun(1, infraCreditsPerSecond: 2).estimate(input: [:], deadlineSeconds: 10) == 21)
    }

    @Test("the actual cost never exceeds the reservation")
    func costCapped() {
        let pricing = Pricing.perEvent(3, maxEvents: 10, infraCreditsPerSecond: 1)
        #expect(pricing.cost(events: 4, durationMs: 1500, reserved: 100) == CostBreakdown(runCredits: 12, infraCredits: 2))
        #expect(pricing.cost(events: 50, durationMs: 0, reserved: 30).totalCredits == 30)
        #expect(pricing.cost(events: 9, durationMs: 60_000, reserved: 30) == CostBreakdown(runCredits: 27, infraCredits: 3))
    }

    @Test("a settlement charges the cost and releases the rest")
    func settlement() {
        #expect(Settlement.entries(reserved: 5, charged: 3).map { "\($0.0)\($0.1)" } == ["charge3", "release2"])
        #expect(Settlement.entries(reserved: 5, charged: 5).map { "\($0.0)\($0.1)" } == ["charge5"])
        #expect(Settlement.entries(reserved: 5, charged: 0).map { "\($0.0)\($0.1)" } == ["release5"])
        #expect(Settlement.entries(reserved: 5, charged: 9).map { "\($0.0)\($0.1)" } == ["charge5"])
    }

    @Test("reserving more than is available is a 402; balances never go negative")
    func reservations() throws {
        let balance = CreditBalance(balance: 10, reserved: 8)
        #expect(balance.available == 2)
        #expect(try balance.applying(.reserve, 2) == CreditBalance(balance: 10, reserved: 10))
        #expect(throws: SeekError.self) { try balance.applying(.reserve, 3) }
        #expect(try balance.applying(.charge, 3) == CreditBalance(balance: 7, reserved: 5))
        #expect(throws: SeekError.self) { try CreditBalance(balance: 1, reserved: 0).applying(.expire, 2) }
    }

    @Test("a credit's dollar value prints cleanly")
    func usd() {
        #expect(CreditPrice().usd(5) == 0.0005)
        #expect(CreditPrice(usdPerCredit: 0.01).usd(3) == 0.03)
    }

    @Test("max_credits caps a per-event reservation and refuses a per-run price above it")
    func maxCredits() throws {
        let perEvent = WorkerManifest(
            id: "emails",
            name: "",
            description: "",
            version: "1",
            inputSchema: true,
            outputKind: .list,
            pricing: .perEvent(1, maxEvents: 500),
            maxDurationSeconds: 60
        )
        let capped = try JobPlan(request: try JobRequest(body: ["max_credits": 40]), manifest: perEvent)
        #expect(capped.reservedCredits == 40)
        let perRun = WorkerManifest(
            id: "convert",
            name: "",
            description: "",
            version: "1",
            inputSchema: true,
            outputKind: .object,
            pricing: .perRun(5),
            maxDurationSeconds: 60
        )
        #expect(throws: SeekError(.paymentRequired, "max_credits (4) is below this worker's cost of 5 credits a run.")) {
            try JobPlan(request: try JobRequest(body: ["max_credits": 4]), manifest: perRun)
        }
    }
}
