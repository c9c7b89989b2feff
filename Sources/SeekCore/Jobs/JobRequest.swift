import Foundation
import OrderedCollections

/// A job submission split into the worker's input and the reserved top-level control keys.
public struct JobRequest: Sendable, Equatable {
    public static let controlKeys: Set<String> = ["webhook", "priority", "timeout_s", "max_credits"]

    public var input: JSONValue
    public var webhook: String?
    public var priority: JobPriority
    public var timeoutSeconds: Int?
    public var maxCredits: Int?

    /// Splits a submission body; every bad control value is a 400 that names the key.
    public init(body: JSONValue) throws(SeekError) {
        guard var members = body.objectValue else {
            throw SeekError(.badRequest, "The request body must be a JSON object.")
        }
        let control = members.filter { Self.controlKeys.contains($0.key) }
        for key in control.keys { members.removeValue(forKey: key) }
        input = .object(members)

        switch control["webhook"] {
        case nil, .null?: webhook = nil
        case let .string(url)?: webhook = try Self.checkedWebhook(url)
        default: throw SeekError(.badRequest, "webhook must be an http(s) URL string.")
        }
        switch control["priority"] {
        case nil, .null?: priority = .normal
        case let .string(name)?:
            guard let parsed = JobPriority(rawValue: name) else {
                throw SeekError(.badRequest, "priority must be one of low, normal, high.")
            }
            priority = parsed
        default: throw SeekError(.badRequest, "priority must be one of low, normal, high.")
        }
        timeoutSeconds = try Self.positiveInteger(control["timeout_s"], name: "timeout_s", minimum: 1)
        maxCredits = try Self.positiveInteger(control["max_credits"], name: "max_credits", minimum: 0)
    }

    private static func positiveInteger(_ value: JSONValue?, name: String, minimum: Int64) throws(SeekError) -> Int? {
        guard let value, value != .null else { return nil }
        guard let number = value.integerValue, number >= minimum, number <= Int64(Int32.max) else {
            throw SeekError(.badRequest, "\(name) must be an integer of at least \(minimum).")
        }
        return Int(number)
    }

    private static func checkedWebhook(_ url: String) throws(SeekError) -> String {
        guard url.utf8.count <= 2048, (try? WebhookTarget(url: url)) != nil else {
            throw SeekError(.badRequest, "webhook must be an absolute http(s) URL of at most 2048 characters.")
        }
        return url
    }
}

/// What submitting a request to a worker commits to: the credits reserved and the run's deadline.
public struct JobPlan: Sendable, Equatable {
    public var reservedCredits: Int
    public var deadlineSeconds: Int

    /// The plan of a job of `manifest`; `free` for a publisher's own job on its own worker, which costs nothing.
    public init(request: JobRequest, manifest: WorkerManifest, free: Bool = false) throws(SeekError) {
        let deadline = request.timeoutSeconds ?? manifest.maxDurationSeconds
        guard deadline <= manifest.maxDurationSeconds else {
            throw SeekError(.badRequest, "timeout_s must be at most \(manifest.maxDurationSeconds), the worker's max_duration_s.")
        }
        guard !free else {
            reservedCredits = 0
            deadlineSeconds = deadline
            return
        }
        var reserve = manifest.pricing.estimate(input: request.input, deadlineSeconds: deadline)
        if let cap = request.maxCredits {
            guard manifest.pricing.minimumCost <= cap else {
                throw SeekError(
                    .paymentRequired,
                    "max_credits (\(cap)) is below this worker's cost of \(manifest.pricing.minimumCost) credits a run."
                )
            }
            reserve = min(reserve, cap)
        }
        reservedCredits = reserve
        deadlineSeconds = deadline
    }
}
