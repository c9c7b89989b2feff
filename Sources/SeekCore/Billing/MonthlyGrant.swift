/// The start of a calendar month on a plan with a grant: the unused rest of the last grant expires,
/// then the new grant arrives. Unused credits never roll over.
public enum MonthlyGrant {
    /// The entries that open a month. `lastGrant` is what the previous grant gave; the rest of it is
    /// what is still available, up to that amount (credits reserved by running jobs stay theirs).
    public static func entries(plan: Plan, balance: CreditBalance, lastGrant: Int) -> [(LedgerEntryType, Int)] {
        // A plan without grants (pay-as-you-go) keeps whatever it was given or bought.
        guard plan.monthlyGrant > 0 else { return [] }
        var entries: [(LedgerEntryType, Int)] = []
        let unused = min(lastGrant, max(0, balance.available))
        if unused > 0 { entries.append((.expire, unused)) }
        entries.append((.grant, plan.monthlyGrant))
        return entries
    }
}
