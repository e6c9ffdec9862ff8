"""The supervisor console: API tokens, surge messages (announcements) with their audit trail, live queue figures."""
