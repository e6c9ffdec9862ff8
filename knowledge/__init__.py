"""The knowledge base: the articles residents ask about, matching a question to one, and editing them."""
