"""Events, venture projects, attendance and QR check-in."""
