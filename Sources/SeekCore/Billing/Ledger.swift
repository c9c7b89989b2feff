/// The kinds of ledger entries. Each moves the balance, the reserved credits, or both; the
/// balance is the sum of all `balanceDelta`s, the reserved credits the sum of all `reservedDelta`s.
public enum LedgerEntryType: String, Sendable, CaseIterable, Codable {
    /// A plan's grant, or the starting credits of a workspace.
    case grant
    /// Credits bought or added by an operator.
    case topup
    /// Held for a submitted job.
    case reserve
    /// Taken for a completed job, out of its reservation.
    case charge
    /// The part of a reservation a job did not use.
    case release
    /// The unused rest of a past grant.
    case expire
    /// Paid to a worker's publisher for another workspace's completed job: the charge less the platform fee.
    case earning

    /// How an entry of `amount` credits (always ≥ 0) moves the balance and the reserved credits.
    public func effect(of amount: Int) -> (balanceDelta: Int, reservedDelta: Int) {
        switch self {
        case .grant, .topup, .earning: return (amount, 0)
        case .reserve: return (0, amount)
        case .charge: return (-amount, -amount)
        case .release: return (0, -amount)
        case .expire: return (-amount, 0)
        }
    }
}

/// A workspace's credits at one moment.
public struct CreditBalance: Sendable, Equatable {
    public var balance: Int
    public var reserved: Int
    public var available: Int { balance - reserved }

    public init(balance: Int, reserved: Int) {
        self.balance = balance
        self.reserved = reserved
    }

    /// The balance after one more entry. Reserved credits never go below zero, and available credits never
    /// below zero either, or below −`creditLine` for a workspace that has one.
    public func applying(_ type: LedgerEntryType, _ amount: Int, creditLine: Int = 0) throws(SeekError) -> CreditBalance {
        precondition(amount >= 0, "ledger amounts are never negative; the type says which way they move")
        let (balanceDelta, reservedDelta) = type.effect(of: amount)
        let (newBalance, balanceOverflow) = balance.addingReportingOverflow(balanceDelta)
        let (newReserved, reservedOverflow) = reserved.addingReportingOverflow(reservedDelta)
        guard !balanceOverflow, !reservedOverflow else {
            throw SeekError(.badRequest, "This entry of \(amount) credits would take the balance past what it can hold.")
        }
        let next = CreditBalance(balance: newBalance, reserved: newReserved)
        // Only entries that lower what is available are checked: a charge or a release must always settle a job.
        let lowersAvailable = balanceDelta - reservedDelta < 0
        guard next.reserved >= 0, !lowersAvailable || next.available >= -max(0, creditLine) else {
            throw SeekError(
                .paymentRequired,
                "Insufficient credits: \(amount) needed, \(available) available"
                    + (creditLine > 0 ? " with a credit line of \(creditLine)." : ".")
            )
        }
        return next
    }
}

/// How a job's reservation is settled when it ends: charge what it cost, release the rest.
public enum Settlement {
    public static func entries(reserved: Int, charged: Int) -> [(LedgerEntryType, Int)] {
        let charge = min(max(0, charged), reserved)
        var entries: [(LedgerEntryType, Int)] = []
        if charge > 0 { entries.append((.charge, charge)) }
        if reserved - charge > 0 { entries.append((.release, reserved - charge)) }
        return entries
    }
}
