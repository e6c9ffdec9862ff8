"""A client of the service that plays Twilio's part: signed webhooks, TwiML played as a phone would, and scenarios."""
