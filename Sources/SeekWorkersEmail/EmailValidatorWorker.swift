import Foundation
import SeekCore
import SeekWorkers

/// `email-validator` (seed 001): checks each address's syntax (RFC 5321/5322, RFC 6531), and where asked its
/// domain's mail route in DNS (MX, the implicit MX of an A or AAAA record, RFC 7505's null MX). Flags
/// disposable domains, role accounts and free providers. Billed per address, 1 credit each.
public struct EmailValidatorWorker: Worker {
    public struct Configuration: Sendable {
        public var dns = MailDNS()
        public var smtp = SMTPProbe()
        /// Lookups at once, each on its own thread (c-ares blocks while it waits).
        public var lookups = 8
        /// Domains probed over SMTP at once; each domain gets one session at a time.
        public var probes = 8

        public init() {}
    }

    public let manifest = WorkerManifest(
        id: "email-validator",
        name: "Email validator",
        description:
            "Checks email addresses: syntax (RFC 5321/5322 with internationalised addresses), the domain's mail route in DNS, disposable domains, role accounts and free providers. One credit per address.",
        version: "1.0.0",
        categories: ["email", "data-quality"],
        inputSchema: [
            "type": "object",
            "required": ["emails"],
            "properties": [
                "emails": ["type": "array", "minItems": 1, "maxItems": 1000, "items": ["type": "string", "maxLength": 320]],
                "check_mx": ["type": "boolean"],
                "check_smtp": ["type": "boolean"],
            ],
            "additionalProperties": false,
        ],
        outputKind: .list,
        pricing: .perEvent(1, maxEvents: 1000, event: "address", eventCapInput: "emails"),
        maxDurationSeconds: 300
    )

    private let configuration: Configuration
    private let threads: BlockingThreads

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        threads = BlockingThreads(count: configuration.lookups, name: "seek-dns")
    }

    public func run(_ input: JSONValue, context: WorkerContext) async throws -> ResultEnvelope {
        let emails = input["emails"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let checkSMTP = input["check_smtp"]?.boolValue ?? false
        // A mailbox is only probed at a domain whose route is known.
        let checkMX = checkSMTP || (input["check_mx"]?.boolValue ?? true)
        let parsed = emails.map(EmailAddress.parse)
        let addresses = parsed.compactMap { try? $0.get() }.filter { !$0.isDomainLiteral }
        var routes: [String: MailRoute] = [:]
        if checkMX {
            // Each domain once per job, however many addresses share it.
            routes = try await resolve(Set(addresses.map(\.asciiDomain)))
        }
        var probes: [String: DomainProbe] = [:]
        if checkSMTP { probes = try await probe(addresses, routes: routes) }
        var items: [JSONValue] = []
        var errors = 0
        for (email, result) in zip(emails, parsed) {
            let address = try? result.get()
            let probe = address.flatMap { probes[$0.asciiDomain] }
            let verdict = EmailVerdict(
                email: email,
                syntax: result,
                route: address.flatMap { routes[$0.asciiDomain] },
                checkedMX: checkMX,
                mailbox: address.flatMap { probe?.answers[$0.smtpAddress] },
                catchAll: probe?.catchAll
            )
            if verdict.lookupFailed { errors += 1 }
            items.append(verdict.json)
        }
        context.recordEvents(emails.count)
        return .list(items, meta: ["processed_count": .integer(Int64(emails.count)), "error_count": .integer(Int64(errors))])
    }

    /// One SMTP session per domain that takes mail, to its most preferred exchanger; at most `probes` domains
    /// at once. Addresses with a non-ASCII local part are not probed (that needs SMTPUTF8).
    private func probe(_ addresses: [EmailAddress], routes: [String: MailRoute]) async throws -> [String: DomainProbe] {
        var byDomain: [String: [String]] = [:]
        for address in addresses where routes[address.asciiDomain]?.acceptsMail == true && address.local.utf8.allSatisfy({ $0 < 0x80 }) {
            if byDomain[address.asciiDomain]?.contains(address.smtpAddress) != true {
                byDomain[address.asciiDomain, default: []].append(address.smtpAddress)
            }
        }
        let dns = configuration.dns
        let smtp = configuration.smtp
        let threads = threads
        var pending = byDomain.sorted { $0.key < $1.key }[...]
        return try await withThrowingTaskGroup(of: (String, DomainProbe).self) { group in
            func startNext() {
                guard let (domain, recipients) = pending.popFirst(), let host = routes[domain]?.hosts(domain: domain).first else { return }
                group.addTask {
                    guard let address = try await threads.run({ dns.address(of: host) }) else {
                        let answers = Dictionary(uniqueKeysWithValues: recipients.map { ($0, MailboxAnswer.unknown("\(host) has no address")) })
                        return (domain, DomainProbe(answers: answers, catchAll: nil))
                    }
                    return (domain, await smtp.probe(address: address, domain: domain, recipients: recipients))
                }
            }
            for _ in 0..<configuration.probes { startNext() }
            var results: [String: DomainProbe] = [:]
            for try await (domain, probe) in group {
                results[domain] = probe
                startNext()
            }
            return results
        }
    }

    private func resolve(_ domains: Set<String>) async throws -> [String: MailRoute] {
        let dns = configuration.dns
        return try await withThrowingTaskGroup(of: (String, MailRoute).self) { group in
            for domain in domains {
                group.addTask { (domain, try await threads.run { dns.route(for: domain) }) }
            }
            var routes: [String: MailRoute] = [:]
            for try await (domain, route) in group { routes[domain] = route }
            return routes
        }
    }
}

/// One address's result item, and how its status and score follow from what was found.
struct EmailVerdict {
    let email: String
    let syntax: Result<EmailAddress, EmailSyntaxError>
    let route: MailRoute?
    let checkedMX: Bool
    var mailbox: MailboxAnswer? = nil
    var catchAll: Bool? = nil

    var lookupFailed: Bool { if case .failed = route { return true } else { return false } }

    var json: JSONValue {
        guard case let .success(address) = syntax else {
            let reason: String
            if case let .failure(error) = syntax { reason = error.reason } else { reason = "" }
            return [
                "email": .string(email), "normalized": nil, "status": "invalid", "score": 0, "syntax_valid": false, "mx_found": false,
                "disposable": false, "role_account": false, "free_provider": false, "reason": .string(reason),
            ]
        }
        let disposable = AddressLists.isDisposable(address.asciiDomain)
        let role = AddressLists.isRole(address.local)
        let free = AddressLists.freeProviders.contains(address.asciiDomain)
        let (status, score, reason) = assess(address, disposable: disposable, role: role)
        return [
            "email": .string(email), "normalized": .string(address.normalized), "status": .string(status), "score": .integer(Int64(score)),
            "syntax_valid": true, "mx_found": .bool(route?.acceptsMail == true), "disposable": .bool(disposable), "role_account": .bool(role),
            "free_provider": .bool(free), "reason": .string(reason),
        ]
    }

    private func assess(_ address: EmailAddress, disposable: Bool, role: Bool) -> (String, Int, String) {
        if checkedMX, !address.isDomainLiteral {
            switch route {
            case .nullMX?: return ("invalid", 5, "The domain publishes a null MX (RFC 7505): it accepts no mail.")
            case .noDomain?: return ("invalid", 5, "The domain does not exist.")
            case .noRecords?: return ("invalid", 10, "The domain has no MX, A or AAAA record: mail cannot be delivered.")
            case let .failed(why)?: return ("unknown", 50, "The DNS lookup failed (\(why)).")
            default: break
            }
        }
        switch mailbox {
        case let .rejected(reply)?: return ("invalid", 10, "The mail server refuses the mailbox (\(reply)).")
        case let .deferred(reply)?: return ("unknown", 50, "The mail server deferred the question (\(reply)): greylisting or a busy server.")
        case let .unknown(why)?: return ("unknown", 55, "The mailbox could not be checked: \(why).")
        default: break
        }
        if disposable { return ("risky", 30, "The domain gives out disposable addresses.") }
        if role { return ("risky", 70, "A role account (a shared mailbox), not a person's.") }
        guard checkedMX else { return ("unknown", 60, "The syntax is valid; the domain was not checked.") }
        if address.isDomainLiteral { return ("risky", 60, "An address literal: valid, but rarely a real mailbox.") }
        if mailbox == .accepted {
            if catchAll == true {
                return ("risky", 60, "The mail server accepts every address at this domain (a catch-all): this one is not confirmed.")
            }
            return ("valid", 99, "The mail server accepts the mailbox.")
        }
        // Without an SMTP probe the mailbox itself is not confirmed.
        return ("valid", 95, "The syntax is valid and the domain accepts mail.")
    }
}
