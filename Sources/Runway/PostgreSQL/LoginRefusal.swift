/// A login the server (or libpq) refused for a reason no retry can fix: the credentials or the role are wrong.
///
/// A failed connection has no `PGresult`, so libpq gives no SQLSTATE for it (`PQresultErrorField` needs a result):
/// the server's error is only in the text of `PQerrorMessage`. The refusals are recognised there, by the messages
/// PostgreSQL sends in English, plus libpq's own `PQconnectionNeedsPassword`, which does not depend on any text:
///
/// - wrong password (`28P01`): `password authentication failed for user "…"`; under `scram-sha-256` and `md5` the
///   server also answers this for a role that does not exist, so as not to reveal which roles exist;
/// - unknown role (`28000`, `trust`, `cert`, `peer`... methods): `role "…" does not exist`;
/// - role without `LOGIN` (`28000`): `role "…" is not permitted to log in`;
/// - no password given where one is asked for (libpq, no SQLSTATE): `fe_sendauth: no password supplied`.
///
/// Not refusals (retried, exit 3): `no pg_hba.conf entry for host …` and `pg_hba.conf rejects connection` (28000,
/// but a rollout may be about to change pg_hba.conf or the client's address), other authentication methods failing
/// (LDAP, RADIUS, GSSAPI: their server may be down), and everything else.
///
/// Limitation: a server whose `lc_messages` is not English sends these messages translated (authentication runs
/// before the client's settings apply), so they are not recognised and the login is retried and exits 3 as before,
/// the safe side; only a missing password is recognised in every language.
struct LoginRefusal: Equatable {
    /// `28P01`, `28000`, or `nil` when libpq reported the refusal itself (no password).
    let sqlState: SQLState?

    /// The refusal in a failed connection's message, or `nil` when the failure may be transient.
    init?(message: String, needsPassword: Bool) {
        if needsPassword {
            sqlState = nil
        } else if message.contains("password authentication failed for user") {
            sqlState = .invalidPassword
        } else if message.contains(/role ".*" does not exist/)
            || message.contains(/role ".*" is not permitted to log in/)
        {
            sqlState = .invalidAuthorizationSpecification
        } else {
            return nil
        }
    }
}
