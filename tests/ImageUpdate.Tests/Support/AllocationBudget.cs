namespace ImageUpdate.Tests.Support;

/// <summary>
/// What a fuzz test bounds instead of the wall clock: the bytes one iteration allocates on its thread.
/// A mutated length field that makes a parser reserve what the header claims, or a loop that builds
/// without end, shows up here the same on a loaded machine as on an idle one (a hang is caught by the
/// test run's timeout); the iteration count, not seconds, sets how much is tried.
/// </summary>
public sealed class AllocationBudget(long bytesPerIteration)
{
    private int _iteration;

    /// <summary>The most one iteration allocated so far, and which iteration that was.</summary>
    public (long Bytes, int Iteration) Largest { get; private set; }

    /// <summary>Runs one iteration and measures it.</summary>
    public void Measure(Action iteration)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            iteration();
        }
        finally
        {
            var used = GC.GetAllocatedBytesForCurrentThread() - before;
            if (used > Largest.Bytes)
            {
                Largest = (used, _iteration);
            }

            _iteration++;
        }
    }

    /// <summary>Fails when any iteration went over the budget.</summary>
    public void AssertWithin() =>
        Assert.True(Largest.Bytes <= bytesPerIteration, $"iteration {Largest.Iteration} allocated {Largest.Bytes} bytes; the budget is {bytesPerIteration}");

    public override string ToString() => $"largest iteration: {Largest.Bytes} bytes (#{Largest.Iteration}) of {bytesPerIteration}";
}
