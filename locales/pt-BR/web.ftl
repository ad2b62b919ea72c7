### A página web do recibo serve, português do Brasil.

web-language = Idioma
web-skip = Pular para o conteúdo
web-signin-title = Entrar
web-signin-intro = Entre com um token aceito por este servidor.
web-token = Token de acesso
web-signin = Entrar
web-signin-wrong = Esse token não é aceito.
web-signin-limited = Tentativas demais a partir deste endereço; tente de novo em { $seconds } segundos.
web-signin-expired = Sua sessão terminou; entre de novo.
web-signout = Sair
web-search = Buscar por qualquer ID
web-search-hint = ID da transação, da transação original, da solicitação, do pedido, do adquirente ou do pedido no gateway
web-search-button = Buscar
web-filters = Filtros
web-from = De
web-to = Antes de (sem incluir o dia)
web-tz = Fuso horário
web-type = Tipo
web-status = Status
web-currency = Moeda
web-method = Forma de pagamento
web-acquirer = Adquirente
web-any = Todos
web-apply = Aplicar
web-clear = Limpar filtros
web-transactions = Transações
web-none = Nenhuma transação corresponde a estes filtros.
web-times-in = Horários em { $zone }
web-next = Próxima página
web-first = Primeira página
web-rows = { $count ->
    [one] Uma transação nesta página
   *[other] { $count } transações nesta página
}
web-receipts = Comprovantes desta visão
web-receipts-intro = Cada estorno bem-sucedido desta visão, um PDF por idioma, com um manifesto, em um ZIP.
web-languages = Idiomas
web-zip = Baixar ZIP
web-export = Exportar esta visão
web-columns = Colunas
web-columns-custom = As colunas marcadas abaixo
web-columns-pick = Colunas a incluir (quando “As colunas marcadas abaixo” for escolhido)
web-columns-order = Ou digite as chaves das colunas na ordem desejada
web-columns-order-hint = Por exemplo: transactionId,paymentTime,transactionAmountValue
web-format = Formato
web-header-lang = Idioma do cabeçalho
web-header-keys = Chaves das colunas
web-bom = Marca de ordem de bytes (para o Excel)
web-download = Baixar
web-transaction = Transação { $id }
web-fields = Campos
web-related = Transações relacionadas
web-related-none = Nenhuma transação relacionada.
web-receipt = Comprovante
web-receipt-download = Baixar o comprovante
web-no-receipt-kind = Sem comprovante: comprovantes são emitidos para estornos, e esta transação é { $kind }.
web-no-receipt-status = Sem comprovante: o status deste estorno é { $status }; comprovantes são emitidos só para estornos bem-sucedidos.
web-matches = Transações com { $id }
web-not-found = Nenhuma transação tem o ID { $id }.
web-back = Voltar às transações
web-error = Este pedido não pode ser atendido
# $count: how many more refer to this transaction
web-related-more = Mais { $count } transações relacionadas não estão listadas.
# $count: how many are listed
web-matches-more = Só as primeiras { $count } estão listadas; busque um ID mais específico.
web-no-receipt-link = O ID deste estorno não pode fazer parte de um link; obtenha o comprovante com recibo receipt na linha de comando.
