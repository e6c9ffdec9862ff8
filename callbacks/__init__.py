"""Call-backs: requests, chosen times, attempts and their outcomes, the database being the truth for each."""
