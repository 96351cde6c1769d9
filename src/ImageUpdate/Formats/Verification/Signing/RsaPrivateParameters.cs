namespace ImageUpdate.Formats.Verification.Signing;

/// <summary>An RSA private key in .NET's CRT layout, every field already at the length .NET requires.</summary>
internal sealed record RsaPrivateParameters(byte[] Modulus, byte[] Exponent, byte[] D, byte[] P, byte[] Q, byte[] DP, byte[] DQ, byte[] InverseQ);
