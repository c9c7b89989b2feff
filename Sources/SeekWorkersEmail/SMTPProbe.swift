import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SeekCore

/// What a mail exchanger said of one recipient.
public enum MailboxAnswer: Sendable, Equatable {
    /// 250/251 to RCPT TO.
    case accepted
    /// 5xx to RCPT TO: the server refuses the mailbox.
    case rejected(String)
    /// 4xx (greylisting, a full mailbox, a busy server): nothing is settled.
    case deferred(String)
    /// No answer to trust: the connection failed, timed out, or the server refused the session.
    case unknown(String)
}

/// One domain's answers: each recipient's, and whether the server accepts any recipient at all (a catch-all,
/// found with a random local part).
public struct DomainProbe: Sendable, Equatable {
    public var answers: [String: MailboxAnswer]
    public var catchAll: Bool?
}

/// An SMTP conversation that asks about mailboxes and never sends mail: EHLO, STARTTLS where offered, MAIL
/// FROM, RCPT TO for each address and one random address, QUIT — never DATA. One session per domain per job,
/// so a list of a thousand addresses at one domain opens one connection, not a thousand.
public struct SMTPProbe: Sendable {
    /// The port exchangers listen on (25; tests point it elsewhere with `SEEK_SMTP_PORT`).
    public var port: Int
    /// The name the probe gives in EHLO.
    public var heloName: String
    /// The reverse path of MAIL FROM: the null path unless set (`SEEK_SMTP_MAIL_FROM`).
    public var mailFrom: String
    /// How long any one reply may take.
    public var timeout: Duration = .seconds(10)
    /// Recipients asked in one session; more wait for the next.
    public var recipientsPerSession = 50

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        port = environment["SEEK_SMTP_PORT"].flatMap(Int.init) ?? 25
        heloName = environment["SEEK_SMTP_HELO"] ?? ProcessInfo.processInfo.hostName
        mailFrom = environment["SEEK_SMTP_MAIL_FROM"] ?? ""
    }

    /// Asks the exchanger at `address` (an IP) about `recipients` of `domain`.
    public func probe(address: String, domain: String, recipients: [String]) async -> DomainProbe {
        var answers: [String: MailboxAnswer] = [:]
        var catchAll: Bool?
        for (index, batch) in stride(from: 0, to: recipients.count, by: recipientsPerSession).map({
            recipients[$0..<min($0 + recipientsPerSession, recipients.count)]
        }).enumerated() {
            // The random recipient goes with the first session only.
            let probeCatchAll = index == 0
            do {
                let session = try await SMTPSession.open(address: address, port: port, timeout: timeout)
                defer { session.close() }
                try await session.greet(helo: heloName)
                let from = try await session.command("MAIL FROM:<\(mailFrom)>")
                guard from.isPositive else {
                    for recipient in batch { answers[recipient] = .unknown("MAIL FROM was refused: \(from.text)") }
                    continue
                }
                for recipient in batch { answers[recipient] = Self.answer(try await session.command("RCPT TO:<\(recipient)>")) }
                if probeCatchAll {
                    let random = "seek-probe-\(UInt64.random(in: 0...UInt64.max))@\(domain)"
                    switch Self.answer(try await session.command("RCPT TO:<\(random)>")) {
                    case .accepted: catchAll = true
                    case .rejected: catchAll = false
                    default: break
                    }
                }
                _ = try? await session.command("QUIT")
            } catch {
                for recipient in batch where answers[recipient] == nil { answers[recipient] = .unknown("\(error)") }
            }
        }
        return DomainProbe(answers: answers, catchAll: catchAll)
    }

    static func answer(_ reply: SMTPReply) -> MailboxAnswer {
        switch reply.code {
        case 250, 251: return .accepted
        case 400..<500: return .deferred("\(reply.code) \(reply.text)")
        case 500..<600: return .rejected("\(reply.code) \(reply.text)")
        default: return .unknown("\(reply.code) \(reply.text)")
        }
    }
}

/// One reply: its code and text (the lines of a multi-line reply joined).
struct SMTPReply: Sendable {
    var code: Int
    var text: String
    var lines: [String]
    var isPositive: Bool { (200..<400).contains(code) }
}

struct SMTPError: Error, CustomStringConvertible {
    var description: String
}

/// A connection to a mail exchanger, used by one task: replies arrive line by line through an async stream,
/// and a reply that does not come within the timeout closes the connection.
final class SMTPSession {
    private let channel: Channel
    private var lines: AsyncThrowingStream<String, Error>.AsyncIterator
    private let timeout: Duration

    private init(channel: Channel, lines: AsyncThrowingStream<String, Error>, timeout: Duration) {
        self.channel = channel
        self.lines = lines.makeAsyncIterator()
        self.timeout = timeout
    }

    static func open(address: String, port: Int, timeout: Duration) async throws -> SMTPSession {
        let (stream, continuation) = AsyncThrowingStream<String, Error>.makeStream()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(timeout.nanoseconds))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ReplyLineDecoder()))
                    try channel.pipeline.syncOperations.addHandler(LineCollector(continuation: continuation))
                }
            }
            .connect(host: address, port: port).get()
        return SMTPSession(channel: channel, lines: stream, timeout: timeout)
    }

    /// Reads the greeting, says EHLO (HELO if refused), and upgrades to TLS when the server offers STARTTLS.
    func greet(helo: String) async throws {
        let greeting = try await reply()
        guard greeting.code == 220 else { throw SMTPError(description: "the server's greeting was \(greeting.code) \(greeting.text)") }
        var hello = try await command("EHLO \(helo)")
        if !hello.isPositive { hello = try await command("HELO \(helo)") }
        guard hello.isPositive else { throw SMTPError(description: "EHLO and HELO were refused: \(hello.text)") }
        guard hello.lines.dropFirst().contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else { return }
        guard try await command("STARTTLS").code == 220 else { return }
        let channel = channel
        try await channel.eventLoop.submit {
            // A probe reads no secrets and sends none: the exchanger's certificate is not what it checks.
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            let handler = try NIOSSLClientHandler(context: try NIOSSLContext(configuration: configuration), serverHostname: nil)
            try channel.pipeline.syncOperations.addHandler(handler, position: .first)
        }.get()
        guard try await command("EHLO \(helo)").isPositive else { throw SMTPError(description: "EHLO after STARTTLS was refused") }
    }

    func command(_ line: String) async throws -> SMTPReply {
        var buffer = channel.allocator.buffer(capacity: line.utf8.count + 2)
        buffer.writeString(line + "\r\n")
        try await channel.writeAndFlush(buffer).get()
        return try await reply()
    }

    /// One reply: lines `NNN-text` until `NNN text`.
    func reply() async throws -> SMTPReply {
        var lines: [String] = []
        while true {
            guard let line = try await nextLine() else {
                throw SMTPError(description: "no reply within \(timeout), or the server closed the connection")
            }
            let trimmed = line.hasSuffix("\r") ? String(line.dropLast()) : line
            guard trimmed.utf8.count >= 3, let code = Int(trimmed.prefix(3)) else {
                throw SMTPError(description: "a reply line without a code: \(trimmed.prefix(80))")
            }
            lines.append(String(trimmed.dropFirst(4)))
            if trimmed.utf8.count == 3 || trimmed.utf8[trimmed.utf8.index(trimmed.utf8.startIndex, offsetBy: 3)] != UInt8(ascii: "-") {
                return SMTPReply(code: code, text: lines.joined(separator: " "), lines: lines)
            }
            guard lines.count < 100 else { throw SMTPError(description: "a reply of more than 100 lines") }
        }
    }

    private func nextLine() async throws -> String? {
        let channel = channel
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { channel.close(promise: nil) }
        defer { timer.cancel() }
        return try await lines.next()
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// Frames the byte stream into lines at LF; a line longer than SMTP's 512 octets (with room to spare) is an
/// error, not a buffer that grows.
private struct ReplyLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    static let maxLine = 4096

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maxLine { throw SMTPError(description: "a reply line longer than \(Self.maxLine) bytes") }
            return .needMoreData
        }
        let line = buffer.readSlice(length: end - buffer.readerIndex)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}

/// Hands each line the decoder frames to the session's stream.
private final class LineCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let continuation: AsyncThrowingStream<String, Error>.Continuation

    init(continuation: AsyncThrowingStream<String, Error>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        continuation.yield(buffer.readString(length: buffer.readableBytes) ?? "")
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }
}
