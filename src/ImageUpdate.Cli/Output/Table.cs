using System.Text;

namespace ImageUpdate.Cli.Output;

/// <summary>
/// A plain-text table as systemd's format-table prints one to a pipe: upper-case headers, columns
/// padded to their widest cell and separated by one space, trailing blanks trimmed; hidden columns
/// and the header (with --no-legend) can be left out.
/// </summary>
public sealed class Table
{
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];
    private readonly HashSet<int> _rightAligned = [];
    private readonly HashSet<int> _hidden = [];
    private readonly HashSet<int> _centered = [];

    public Table(params string[] headers) => _headers = headers;

    public int RowCount => _rows.Count;

    public Table RightAlign(params int[] columns)
    {
        _rightAligned.UnionWith(columns);
        return this;
    }

    public Table Center(params int[] columns)
    {
        _centered.UnionWith(columns);
        return this;
    }

    public Table Hide(params int[] columns)
    {
        _hidden.UnionWith(columns);
        return this;
    }

    public void Add(params string?[] cells) => _rows.Add(cells.Select(c => c ?? "-").ToArray());

    public IReadOnlyList<string> Headers => _headers;

    public IReadOnlyList<string[]> Rows => _rows;

    public bool IsHidden(int column) => _hidden.Contains(column);

    public void WriteTo(TextWriter writer, bool legend)
    {
        var visible = Enumerable.Range(0, _headers.Length).Where(i => !_hidden.Contains(i)).ToArray();
        var widths = visible.Select(i => Math.Max(legend ? _headers[i].Length : 0, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        if (legend)
        {
            WriteRow(writer, visible, widths, visible.Select(i => _headers[i].ToUpperInvariant()).ToArray());
        }

        foreach (var row in _rows)
        {
            WriteRow(writer, visible, widths, visible.Select(i => row[i]).ToArray());
        }
    }

    private void WriteRow(TextWriter writer, int[] visible, int[] widths, string[] cells)
    {
        var line = new StringBuilder();
        for (var k = 0; k < visible.Length; k++)
        {
            if (k > 0)
            {
                line.Append(' ');
            }

            var cell = cells[k];
            var pad = widths[k] - cell.Length;
            // Headers share their column's alignment, as format-table sets it per column.
            if (_rightAligned.Contains(visible[k]))
            {
                line.Append(' ', pad).Append(cell);
            }
            else if (_centered.Contains(visible[k]))
            {
                line.Append(' ', pad / 2).Append(cell).Append(' ', pad - (pad / 2));
            }
            else
            {
                line.Append(cell).Append(' ', pad);
            }
        }

        writer.WriteLine(line.ToString().TrimEnd());
    }
}
