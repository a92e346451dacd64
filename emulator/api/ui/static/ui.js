// The page's script: fetch server-rendered parts, poll while a job runs, create and stop
// jobs through the SageMaker API itself. Every request is signed when the page holds
// credentials (docs/ui.md); nothing is fetched from anywhere but this server.
"use strict";
const PAGE = document.body.dataset;
const CREDENTIALS_KEY = "bte-credentials";
const LOG_LINES_KEPT = 2000;
const $ = (id) => document.getElementById(id);
const credentials = () => sessionStorage.getItem(CREDENTIALS_KEY) || "";

async function post(path, payload, headers) {
  const body = JSON.stringify(payload);
  const all = Object.assign({"Content-Type": "application/json"}, headers || {});
  if (credentials()) Object.assign(all, sigv4Headers(credentials(), PAGE.region, path, body));
  return fetch(path, {method: "POST", headers: all, body, credentials: "omit", cache: "no-store"});
}

async function refusal(response) {
  const text = await response.text();
  let code = String(response.status), message = text;
  try {
    const data = JSON.parse(text);
    code = data.__type || code;
    message = data.message || data.Message || text;
  } catch (err) {
    const c = /<Code>([^<]*)<\/Code>/.exec(text), m = /<Message>([^<]*)<\/Message>/.exec(text);
    if (c) code = c[1];
    if (m) message = m[1];
  }
  const hint = PAGE.authRequired === "1" && !credentials() ? " (this server requires credentials: enter them above)" : "";
  return new Error(`${code}: ${message}${hint}`);
}

async function ui(part, payload) {
  const response = await post("/ui/api/" + part, payload);
  if (!response.ok) throw await refusal(response);
  return response;
}

async function sagemaker(operation, payload) {
  const response = await post("/", payload, {"X-Amz-Target": "SageMaker." + operation,
                                             "Content-Type": "application/x-amz-json-1.1"});
  if (!response.ok) throw await refusal(response);
  return response.json();
}

function say(id, text, isError) {
  const el = $(id);
  el.textContent = text;
  el.hidden = !text;
  el.classList.toggle("error", Boolean(isError));
}

function setUpCredentials() {
  const bar = $("credentials");
  if (PAGE.authRequired !== "1") return;
  bar.hidden = false;
  const held = credentials();
  $("credentials-form").hidden = Boolean(held);
  $("credentials-held").hidden = !held;
  $("credentials-key").textContent = held.split(":")[0];
  $("credentials-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(CREDENTIALS_KEY, `${$("key-id").value}:${$("secret").value}`);
    location.reload();
  });
  $("forget").addEventListener("click", () => { sessionStorage.removeItem(CREDENTIALS_KEY); location.reload(); });
}

// -- the list --------------------------------------------------------------------------
async function refreshList() {
  try {
    const data = await (await ui("list", {status: $("state").value, name: $("name").value})).json();
    $("jobs").innerHTML = data.jobs;
    $("models").innerHTML = data.models;
    say("list-error", "");
  } catch (err) {
    say("list-error", "The list could not be read: " + err.message, true);
  }
}

function listPage() {
  $("state").addEventListener("change", refreshList);
  $("name").addEventListener("input", refreshList);
  refreshList();
  setInterval(refreshList, 2000);
}

// -- one job ---------------------------------------------------------------------------
const tokens = {};
let reportAsked = false;

function appendLogs(logs) {
  let more = false;
  for (const [stream, part] of Object.entries(logs)) {
    tokens[stream] = part.token;
    let pre = document.querySelector(`pre[data-stream="${CSS.escape(stream)}"]`);
    if (!pre) {
      const section = document.createElement("section");
      const title = document.createElement("h3");
      title.textContent = stream;
      pre = document.createElement("pre");
      pre.dataset.stream = stream;
      pre.className = "log";
      section.append(title, pre);
      $("logs").append(section);
    }
    if (part.lines.length) {
      pre.textContent += part.lines.join("\n") + "\n";
      const kept = pre.textContent.split("\n");
      if (kept.length > LOG_LINES_KEPT) pre.textContent = kept.slice(-LOG_LINES_KEPT).join("\n");
      pre.scrollTop = pre.scrollHeight;
    }
    more = more || part.more;
  }
  return more;
}

async function showPlan() {
  try {
    $("plan").innerHTML = (await (await ui("plan", {name: PAGE.job})).json()).html;
  } catch (err) {
    say("plan-error", "The plan could not be made: " + err.message, true);
  }
}

async function showReport() {
  reportAsked = true;
  try {
    const html = await (await ui("report", {name: PAGE.job})).text();
    const frame = $("report-frame");
    frame.srcdoc = html;
    frame.hidden = false;
    say("report-note", "");
  } catch (err) {
    say("report-note", "No report: " + err.message, true);
  }
}

async function pollJob() {
  let data;
  try {
    data = await (await ui("job", {name: PAGE.job, tokens})).json();
    say("job-error", "");
  } catch (err) {
    say("job-error", "The job could not be read: " + err.message, true);
    setTimeout(pollJob, 2000);
    return;
  }
  if (!data.found) {
    say("job-error", `No transform job named ${PAGE.job} in this server's store.`, true);
    return;
  }
  $("head").innerHTML = data.head;
  $("progress").innerHTML = data.progress;
  if (!$("request").dataset.filled) {
    $("request").innerHTML = data.request;
    $("request").dataset.filled = "1";
    showPlan();
  }
  const more = appendLogs(data.logs);
  $("stop").hidden = !data.active;
  if (!data.active && !reportAsked) showReport();
  if (data.active || more) setTimeout(pollJob, data.active ? 1000 : 50);
}

function jobPage() {
  $("stop").addEventListener("click", async () => {
    try {
      await sagemaker("StopTransformJob", {TransformJobName: PAGE.job});
      say("stop-note", "Stop requested.");
    } catch (err) {
      say("stop-note", "Stop refused: " + err.message, true);
    }
  });
  pollJob();
}

// -- a new job -------------------------------------------------------------------------
function newPage() {
  const examples = JSON.parse($("examples-data").textContent);
  document.querySelectorAll("button[data-example]").forEach((button) => {
    button.addEventListener("click", () => {
      const example = examples[Number(button.dataset.example)];
      const job = JSON.parse(JSON.stringify(example.job));
      job.TransformJobName = `${job.TransformJobName}-${Date.now().toString(36)}`.slice(0, 63);
      $("job-json").value = JSON.stringify(job, null, 2);
      $("model-json").value = example.model ? JSON.stringify(example.model, null, 2) : "";
    });
  });
  const requests = () => {
    say("create-note", "");
    try {
      const model = $("model-json").value.trim() ? JSON.parse($("model-json").value) : null;
      return {job: JSON.parse($("job-json").value), model};
    } catch (err) {
      say("create-note", "Not JSON: " + err.message, true);
      return null;
    }
  };
  $("preview").addEventListener("click", async () => {
    const asked = requests();
    if (!asked) return;
    $("preview-plan").innerHTML = "<p>Reading the inputs as <code>bte plan</code> does…</p>";
    try {
      $("preview-plan").innerHTML = (await (await ui("preview", asked)).json()).html;
    } catch (err) {
      $("preview-plan").innerHTML = "";
      say("create-note", err.message, true);
    }
  });
  $("create-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const asked = requests();
    if (!asked) return;
    const {job, model} = asked;
    try {
      if (model) {
        try {
          await sagemaker("DescribeModel", {ModelName: model.ModelName});
        } catch (err) {
          if (!/Could not find model/.test(err.message)) throw err;
          await sagemaker("CreateModel", model);
        }
      }
      await sagemaker("CreateTransformJob", job);
      location.href = "/ui/jobs/" + encodeURIComponent(job.TransformJobName);
    } catch (err) {
      say("create-note", err.message, true);
    }
  });
}

setUpCredentials();
({list: listPage, job: jobPage, new: newPage})[PAGE.page]();
