"""The specifications as data: model, extraction from the spec texts, errata, export."""
