"""通知与回执: notices with an audience and a deadline, and the answers that count once."""
