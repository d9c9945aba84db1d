"""pgproof.symbolic"""
