"""pgproof.bridge"""
