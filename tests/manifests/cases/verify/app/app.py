print("verify case")
