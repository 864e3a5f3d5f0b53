// The SQL console: runs the query through POST /api/sql and shows the rows as a table.
// Served by safelake itself; nothing is loaded from another host.
const sql = document.getElementById("sql");
const status = document.getElementById("status");
const result = document.getElementById("result");

function cell(tag, text) {
  const element = document.createElement(tag);
  element.textContent = text === null ? "–" : String(text);
  return element;
}

async function run() {
  status.textContent = "Running…";
  result.replaceChildren();
  const started = performance.now();
  const response = await fetch("/api/sql?format=json", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sql: sql.value }),
  });
  const answer = await response.json();
  if (!response.ok) {
    status.textContent = "";
    const error = cell("p", answer.error);
    error.className = "error";
    result.append(error);
    return;
  }
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const column of answer.columns) head.append(cell("th", column));
  const body = table.createTBody();
  for (const row of answer.rows) {
    const tr = body.insertRow();
    for (const column of answer.columns) tr.append(cell("td", row[column]));
  }
  result.append(table);
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  status.textContent = `${answer.rows.length} rows in ${seconds} s`;
}

document.getElementById("run").addEventListener("click", run);
sql.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) run();
});
