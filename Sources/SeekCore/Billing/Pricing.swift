import OrderedCollections

/// How a worker bills: a flat price per run, or a price per event (emails checked, listings delivered).
public enum BillingMode: String, Sendable, Codable, CaseIterable {
    case perRun = "per_run"
    case perEvent = "per_event"
}

/// A worker's price list, in integer credits. All credit math lives here.
public struct Pricing: Sendable, Equatable {
    public var mode: BillingMode
    public var creditsPerRun: Int
    public var creditsPerEvent: Int
    /// Most events one run may bill for, unless the input asks for fewer through `eventCapInput`.
    public var maxEvents: Int
    /// What one billable event is called (`item` for list workers): a runner's `charge` lines name it.
    public var event: String
    /// The input field with which a caller caps the events of one run: an integer (`max_items`), or a list
    /// whose every element is one event (`emails`).
    public var eventCapInput: String?
    public var infraCreditsPerSecond: Int

    public static func perRun(_ credits: Int, infraCreditsPerSecond: Int = 0) -> Pricing {
        Pricing(
            mode: .perRun,
            creditsPerRun: credits,
            creditsPerEvent: 0,
            maxEvents: 0,
            event: "item",
            eventCapInput: nil,
            infraCreditsPerSecond: infraCreditsPerSecond
        )
    }

    public static func perEvent(
        _ credits: Int,
        maxEvents: Int,
        event: String = "item",
        eventCapInput: String? = nil,
        infraCreditsPerSecond: Int = 0
    ) -> Pricing {
        Pricing(
            mode: .perEvent,
            creditsPerRun: 0,
            creditsPerEvent: credits,
            maxEvents: maxEvents,
            event: event,
            eventCapInput: eventCapInput,
            infraCreditsPerSecond: infraCreditsPerSecond
        )
    }

    /// The price list as a manifest spells it (without money values, which depend on the server's credit price).
    public var json: JSONValue {
        var members: OrderedDictionaryOfJSON = ["billing_mode": .string(mode.rawValue)]
        switch mode {
        case .perRun:
            members["credits_per_run"] = .integer(creditsPerRun)
        case .perEvent:
            members["credits_per_event"] = .integer(creditsPerEvent)
            members["event"] = .string(event)
            members["max_events"] = .integer(maxEvents)
            members["event_cap_input"] = .string(eventCapInput)
        }
        members["infra_credits_per_second"] = .integer(infraCreditsPerSecond)
        return .object(members)
    }

    /// The events one run of this input may bill for at most.
    public func eventCap(for input: JSONValue) -> Int {
        guard let field = eventCapInput, let value = input[field] else { return maxEvents }
        if let list = value.arrayValue { return min(maxEvents, list.count) }
        guard let asked = value.integerValue, asked >= 0 else { return maxEvents }
        return min(maxEvents, Int(asked))
    }

    /// The least a run can cost: what `max_credits` must cover for the job to be worth running.
    public var minimumCost: Int { mode == .perRun ? creditsPerRun : 0 }

    /// The most a run of this input can cost within `seconds`: what is reserved on submit.
    public func estimate(input: JSONValue, deadlineSeconds: Int) -> Int {
        let run = mode == .perRun ? creditsPerRun : creditsPerEvent * eventCap(for: input)
        return run + infraCreditsPerSecond * deadlineSeconds
    }

    /// What a finished run costs, split into its parts; never more than what was reserved.
    public func cost(events: Int, durationMs: Int, reserved: Int) -> CostBreakdown {
        let run = mode == .perRun ? creditsPerRun : creditsPerEvent * max(0, events)
        // Infra time is billed per started second.
        let infra = infraCreditsPerSecond * ((max(0, durationMs) + 999) / 1000)
        let cappedRun = min(run, reserved)
        return CostBreakdown(runCredits: cappedRun, infraCredits: min(infra, reserved - cappedRun))
    }
}

/// A charge split into the worker's price and the infrastructure time.
public struct CostBreakdown: Sendable, Equatable {
    public var runCredits: Int
    public var infraCredits: Int
    public var totalCredits: Int { runCredits + infraCredits }
    public init(runCredits: Int, infraCredits: Int) {
        self.runCredits = runCredits
        self.infraCredits = infraCredits
    }
    public static let zero = CostBreakdown(runCredits: 0, infraCredits: 0)
}

/// The money value of a credit (a setting; 1 credit = $0.0001 by default).
public struct CreditPrice: Sendable, Equatable {
    public var usdPerCredit: Double
    public init(usdPerCredit: Double = 0.0001) { self.usdPerCredit = usdPerCredit }

    public func usd(_ credits: Int) -> Double {
        // Round to 1e-10 so that 5 × 0.0001 prints as 0.0005, not 0.0005000000000000001.
        (Double(credits) * usdPerCredit * 1e10).rounded() / 1e10
    }
}
