"""Places: the city's own map (address points, area layers, named places) and matching what residents say to it."""
