import SeekCore
import SeekTestSupport
import SeekWorkers
import Testing

@testable import SeekWorkersEmail

@Suite("email-validator: syntax, lists and verdicts")
struct EmailAddressTests {
    @Test(
        "valid addresses parse, with their normalised form",
        arguments: [
            ("user@example.com", "user@example.com"), ("First.Last+tag@Example.COM", "First.Last+tag@example.com"),
            ("#!$%&'*+-/=?^_`{}|~@example.org", "#!$%&'*+-/=?^_`{}|~@example.org"), ("\"john..doe\"@example.com", "\"john..doe\"@example.com"),
            ("\"a b\"@example.com", "\"a b\"@example.com"), ("üñîçøðé@example.com", "üñîçøðé@example.com"),
            ("用户@例子.广告", "用户@例子.广告"), ("user@bücher.example", "user@bücher.example"), ("user@[192.0.2.1]", "user@[192.0.2.1]"),
            ("user@[IPv6:2001:db8::1]", "user@[IPv6:2001:db8::1]"), ("x@a-b.co", "x@a-b.co"),
        ]
    )
    func valid(address: String, normalized: String) throws {
        let parsed = try EmailAddress.parse(address).get()
        #expect(parsed.normalized == normalized)
    }

    @Test(
        "invalid addresses say why",
        arguments: [
            ("", "empty"), ("plainaddress", "no @"), ("@example.com", "before the @ is empty"), ("user@", "after the @ is empty"),
            (".user@example.com", "starts or ends with a dot"), ("us..er@example.com", "two dots"), ("us er@example.com", "needs quoting"),
            ("user@example", "no dot"), ("user@localhost", "no dot"), ("user@example.test", "special use"), ("user@ex_ample.com", "letters, digits"),
            ("user@-example.com", "hyphen"), ("user@example..com", "empty label"), ("user@example.123", "all digits"),
            ("user@[300.1.1.1]", "literal"), ("\"unclosed@example.com", "not closed"), ("a\u{200B}b@example.com", "U+200B"),
            ("user@ab--cd.com", "--"), ("user@xn--zz-.example.com", "IDNA"), ("user@xn--ls8h.la", "IDNA"),
            (String(repeating: "a", count: 65) + "@example.com", "64 octets"), ("user@" + String(repeating: "a", count: 64) + ".com", "63 octets"),
        ]
    )
    func invalid(address: String, because fragment: String) {
        guard case let .failure(error) = EmailAddress.parse(address) else {
            Issue.record("\(address.debugDescription) parsed")
            return
        }
        #expect(error.reason.localizedStandardContains(fragment) || error.reason.contains(fragment), "\(error.reason)")
    }

    @Test("IDNA labels become A-labels for DNS and back (RFC 3492's own samples)")
    func punycode() throws {
        #expect(Punycode.encode("bücher") == "bcher-kva")
        #expect(Punycode.encode("münchen") == "mnchen-3ya")
        #expect(Punycode.decode("bcher-kva") == "bücher")
        #expect(Punycode.decode("ihqwcrb4cv8a8dqg056pqjye") == "他们为什么不说中文")
        #expect(try EmailAddress.parse("x@Bücher.Example").get().asciiDomain == "xn--bcher-kva.example")
        #expect(Punycode.decode("zz-") == nil || Punycode.decode("zz-") != "", "a broken label never decodes to text silently")
    }

    @Test("disposable domains (and their subdomains), role accounts and free providers")
    func lists() {
        #expect(AddressLists.disposableDomains.count > 10_000)
        #expect(AddressLists.isDisposable("mailinator.com") && AddressLists.isDisposable("x.mailinator.com"))
        #expect(!AddressLists.isDisposable("example.com"))
        #expect(AddressLists.isRole("postmaster") && AddressLists.isRole("Info+news") && !AddressLists.isRole("jane"))
        #expect(AddressLists.freeProviders.contains("gmail.com"))
    }

    @Test("verdicts follow the route: null MX and missing domains are invalid, lookups that fail are unknown")
    func verdicts() throws {
        func item(_ email: String, _ route: MailRoute?, checked: Bool = true) -> JSONValue {
            EmailVerdict(email: email, syntax: EmailAddress.parse(email), route: route, checkedMX: checked).json
        }
        #expect(item("jane@example.com", .exchangers(["mx.example.com"]))["status"] == "valid")
        #expect(item("jane@example.com", .exchangers(["mx.example.com"]))["mx_found"] == true)
        #expect(item("jane@example.com", .implicit)["status"] == "valid")
        #expect(item("jane@example.com", .nullMX)["status"] == "invalid")
        #expect(item("jane@example.com", .noDomain)["status"] == "invalid")
        #expect(item("jane@example.com", .failed("timeout"))["status"] == "unknown")
        #expect(item("info@example.com", .implicit)["status"] == "risky")
        #expect(item("jane@mailinator.com", .implicit)["disposable"] == true)
        #expect(item("jane@example.com", nil, checked: false)["status"] == "unknown")
        let bad = item("not an address", nil)
        #expect(bad["status"] == "invalid" && bad["syntax_valid"] == false && bad["score"] == 0 && bad["reason"]?.stringValue?.isEmpty == false)
    }

    @Test("the worker lists one item per address and charges one event each")
    func worker() async throws {
        let report = WorkerReport()
        let worker = EmailValidatorWorker()
        let result = try await worker.run(["emails": ["a@example.com", "nope"], "check_mx": false], context: context(report: report))
        #expect(result.kind == .list && result.items.count == 2)
        #expect(result.meta == ["processed_count": 2, "error_count": 0])
        #expect(report.current.events == 2)
        #expect(try JSONSchema(worker.manifest.inputSchema).isValid(["emails": ["a@example.com"]]))
        #expect(!(try JSONSchema(worker.manifest.inputSchema).isValid(["emails": []])))
    }
}
