namespace ImageUpdate.Tests.Support;

/// <summary>
/// For a state another process reaches on its own schedule (a bus daemon noticing a closed socket,
/// a service seeing end of file on a pipe): asks again every few milliseconds until the answer is
/// true or the deadline passes, and returns the last answer, so the assertion still fails when the
/// state never comes.
/// </summary>
public static class Eventually
{
    public static async Task<bool> TrueAsync(Func<Task<bool>> probe, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            if (await probe())
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }
    }
}
