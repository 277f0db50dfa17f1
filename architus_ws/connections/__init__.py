"""Who may stay connected: per-address admission, idle and expiry sweeps, the per-socket session."""
