"""The foundation every package may use: database, Redis, clock, workers, Twilio request checks."""
