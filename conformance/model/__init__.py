"""What the cases are derived from, beyond the spec data itself: the catalogue of types (and the JSON
Schemas of their answers), the routes to every class, the Hypothesis strategies and what keeps their
draws the same for a seed, the calendar's schemas, and the in-suite task model of the lifecycle."""
