"""Agent hours changed while the service runs: closures with a reason, late openings and added holidays."""
