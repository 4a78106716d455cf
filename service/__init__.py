"""Online side: retrieve passages and read cited answers out of them."""
