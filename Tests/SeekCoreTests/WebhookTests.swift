import Foundation
import Testing

@testable import SeekCore

@Suite("Webhook signatures")
struct WebhookSignatureTests {
    @Test("reproduces the Standard Webhooks reference vector byte for byte")
    func standardWebhooksVector() throws {
        let secret = try #require(WebhookSecret(encoded: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = WebhookSignature.standard(
            secrets: [secret],
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp: 1_614_265_330,
            body: Array(#"{"test": 2432232314}"#.utf8)
        )
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("the seed's header is t=…,v1=<hex HMAC of \"t.body\">, one v1 per secret")
    func seekHeader() throws {
        let secret = WebhookSecret(key: Array("key".utf8))
        let header = WebhookSignature.seekHeader(secrets: [secret], timestamp: 1_700_000_000, body: Array("{}".utf8))
        // HMAC-SHA256("key", "1700000000.{}"), computed independently with Python's hmac module.
        #expect(header == "t=1700000000,v1=" + "9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae")
        let rotated = WebhookSignature.seekHeader(secrets: [secret, WebhookSecret.generate()], timestamp: 1, body: [])
        #expect(rotated.split(separator: ",").filter { $0.hasPrefix("v1=") }.count == 2)
    }

    @Test("secrets round-trip as whsec_ and hold 32 random bytes")
    func secrets() throws {
        let secret = WebhookSecret.generate()
        #expect(secret.key.count == 32)
        #expect(secret.encoded.hasPrefix("whsec_"))
        #expect(WebhookSecret(encoded: secret.encoded) == secret)
        #expect(WebhookSecret(encoded: "sk_live_x") == nil)
        #expect(WebhookSecret.generate() != secret)
    }

    @Test("the verifier takes the reference vector, either of two secrets, and refuses altered bytes, wrong secrets and old timestamps")
    func verifier() throws {
        let secret = try #require(WebhookSecret(encoded: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let sent = Date(timeIntervalSince1970: 1_614_265_330)
        let verifier = WebhookVerifier(secret: secret)
        let reference = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        try verifier.verifyStandard(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", signature: reference, body: body, now: sent)
        // During a rotation the header holds two signatures; the receiver's secret may be either.
        let other = WebhookSecret.generate()
        let rotated = WebhookSignature.standard(secrets: [other, secret], id: "msg_1", timestamp: 1_614_265_330, body: body)
        try verifier.verifyStandard(id: "msg_1", timestamp: "1614265330", signature: rotated, body: body, now: sent)
        #expect(throws: WebhookVerificationError.noMatchingSignature) {
            try verifier.verifyStandard(id: "msg_1", timestamp: "1614265330", signature: rotated, body: body + [0x20], now: sent)
        }
        #expect(throws: WebhookVerificationError.timestampOutsideTolerance) {
            try verifier.verifyStandard(id: "msg_1", timestamp: "1614265330", signature: rotated, body: body, now: sent + 301)
        }
        #expect(throws: WebhookVerificationError.malformedHeader("webhook-signature")) {
            try verifier.verifyStandard(id: "msg_1", timestamp: "1614265330", signature: "v2,abc", body: body, now: sent)
        }

        let seek = WebhookSignature.seekHeader(secrets: [secret, other], timestamp: 1_614_265_330, body: body)
        try verifier.verifySeekSignature(header: seek, body: body, now: sent)
        try WebhookVerifier(secret: other).verifySeekSignature(header: seek, body: body, now: sent)
        #expect(throws: WebhookVerificationError.noMatchingSignature) {
            try WebhookVerifier(secret: .generate()).verifySeekSignature(header: seek, body: body, now: sent)
        }
        #expect(throws: WebhookVerificationError.timestampOutsideTolerance) {
            try verifier.verifySeekSignature(header: seek, body: body, now: sent - 301)
        }
        #expect(throws: WebhookVerificationError.malformedHeader("X-SeekAPI-Signature")) {
            try verifier.verifySeekSignature(header: "v1=00", body: body, now: sent)
        }
    }
}

@Suite("The SSRF address policy")
struct AddressPolicyTests {
    @Test(
        "internal addresses are refused however they are spelled",
        arguments: [
            "127.0.0.1", "127.255.255.254", "0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1",
            "169.254.169.254", "198.18.0.1", "198.19.255.255", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
            "::1", "::", "[::1]", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
            "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2130706433", "0x7f.1", "017700000001", "127.1", "0x7f000001", "0177.0.0.1",
            "0", "2001:db8::1", "2002:7f00:1::",
        ]
    )
    func refused(_ host: String) throws {
        let address = try #require(AddressPolicy.literal(host), "\(host) did not parse as an address")
        #expect(!AddressPolicy.isPublic(address), "\(host) → \(address) was judged public")
    }

    @Test(
        "public addresses are allowed",
        arguments: [
            "93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8",
            "64:ff9b::808:808", "172.32.0.1", "100.128.0.1", "11.0.0.1",
        ]
    )
    func allowed(_ host: String) throws {
        let address = try #require(AddressPolicy.literal(host))
        #expect(AddressPolicy.isPublic(address), "\(host) → \(address) was refused")
    }

    @Test("numeric spellings decode as inet_aton does")
    func spellings() {
        #expect(AddressPolicy.literal("2130706433") == .v4(0x7F00_0001))
        #expect(AddressPolicy.literal("0x7f.1") == .v4(0x7F00_0001))
        #expect(AddressPolicy.literal("017700000001") == .v4(0x7F00_0001))
        #expect(AddressPolicy.literal("127.0.1") == .v4(0x7F00_0001))
        #expect(AddressPolicy.literal("256.0.0.1") == nil)
        #expect(AddressPolicy.literal("example.com") == nil)
        #expect(AddressPolicy.literal("1.2.3.4.5") == nil)
    }

    @Test("localhost names are local before any lookup", arguments: ["localhost", "LOCALHOST", "localhost.", "api.localhost"])
    func localNames(_ host: String) {
        #expect(AddressPolicy.isLocalName(host))
    }
}

@Suite("Webhook secret rotation")
struct WebhookSecretsTests {
    @Test("after a rotation both secrets sign for 24 hours, then only the new one")
    func overlap() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let original = WebhookSecrets(current: .generate())
        #expect(original.signing(at: start) == [original.current])
        let next = WebhookSecret.generate()
        let rotated = original.rotated(to: next, at: start)
        #expect(rotated.signing(at: start.addingTimeInterval(60)) == [next, original.current])
        #expect(rotated.signing(at: start.addingTimeInterval(24 * 3600 - 1)) == [next, original.current])
        #expect(rotated.signing(at: start.addingTimeInterval(24 * 3600)) == [next])
    }
}
