"""Account use cases, one module per aggregate: `logins` (checking a login, the throttle and
its locks), `sessions` (server-side login sessions), `users` (creating and enabling accounts,
the account's own settings) and `passwords` (changing, resetting and issuing passwords)."""
