"""The light track (seed 003, task 251): a plain-language request becomes an approved change."""
