"""Who a socket is: tokens, elevation and renewal, permission bits."""
