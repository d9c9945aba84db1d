"""pgproof.numeric"""
